"""booking moves: each reschedule of a booking, who made it and what it billed

Seed 001 counts a move like a cancellation for notice: moved less than 24 h before the
original start, it bills the late charge. One row per move keeps the audit (from, to, who,
when, the charge) and lets a move be undone (undone_at/undone_by; the row stays).

Revision ID: 0010
Revises: 0009
"""

import sqlalchemy as sa
from alembic import op

from store.models.base import UTCDateTime

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "booking_moves",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("booking_id", sa.Integer(), nullable=False),
        sa.Column("from_start", UTCDateTime(timezone=True), nullable=False),
        sa.Column("from_end", UTCDateTime(timezone=True), nullable=False),
        sa.Column("to_start", UTCDateTime(timezone=True), nullable=False),
        sa.Column("to_end", UTCDateTime(timezone=True), nullable=False),
        sa.Column("moved_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("moved_by", sa.String(length=32), nullable=False),
        sa.Column("charge_minutes", sa.Integer(), nullable=False),
        sa.Column("undone_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("undone_by", sa.String(length=32), nullable=True),
        sa.ForeignKeyConstraint(
            ["booking_id"], ["bookings.id"], name=op.f("fk_booking_moves_booking_id_bookings")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_booking_moves")),
    )
    with op.batch_alter_table("booking_moves", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_booking_moves_booking_id"), ["booking_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("booking_moves", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_booking_moves_booking_id"))
    op.drop_table("booking_moves")
