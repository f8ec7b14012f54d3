"""bookings: booked sessions and their engineers

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

from store.models.base import UTCDateTime

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "bookings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("start_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("end_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("minutes", sa.Integer(), nullable=False),
        sa.Column("training", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=32), nullable=False),
        sa.Column("cancelled_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("cancelled_by", sa.String(length=32), nullable=True),
        sa.Column("charge_minutes", sa.Integer(), nullable=True),
        sa.Column("next_reminder_at", UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customers.id"], name=op.f("fk_bookings_customer_id_customers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bookings")),
    )
    with op.batch_alter_table("bookings", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_bookings_customer_id"), ["customer_id"], unique=False)
        batch_op.create_index("ix_bookings_start_at", ["start_at"], unique=False)
        batch_op.create_index("ix_bookings_next_reminder_at", ["next_reminder_at"], unique=False)

    op.create_table(
        "booking_engineers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("booking_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column("extra", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["booking_id"], ["bookings.id"], name=op.f("fk_booking_engineers_booking_id_bookings")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_booking_engineers")),
        sa.UniqueConstraint("booking_id", "user_id", name="uq_booking_engineers_user"),
    )
    with op.batch_alter_table("booking_engineers", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_booking_engineers_booking_id"), ["booking_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_booking_engineers_user_id"), ["user_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("booking_engineers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_booking_engineers_user_id"))
        batch_op.drop_index(batch_op.f("ix_booking_engineers_booking_id"))
    op.drop_table("booking_engineers")
    with op.batch_alter_table("bookings", schema=None) as batch_op:
        batch_op.drop_index("ix_bookings_next_reminder_at")
        batch_op.drop_index("ix_bookings_start_at")
        batch_op.drop_index(batch_op.f("ix_bookings_customer_id"))
    op.drop_table("bookings")
