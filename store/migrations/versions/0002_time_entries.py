"""time logging: time_entries, and an index for the block_expired sweep

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

from store.models.base import UTCDateTime

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "time_entries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("agent_id", sa.String(length=32), nullable=False),
        sa.Column("work_date", sa.Date(), nullable=False),
        sa.Column("minutes", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("activity", sa.String(length=40), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("undone_at", UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customers.id"], name=op.f("fk_time_entries_customer_id_customers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_time_entries")),
    )
    with op.batch_alter_table("time_entries", schema=None) as batch_op:
        batch_op.create_index(
            "ix_time_entries_customer_day", ["customer_id", "work_date"], unique=False
        )
        batch_op.create_index(
            "ix_time_entries_agent_created", ["agent_id", "created_at"], unique=False
        )
    with op.batch_alter_table("hour_blocks", schema=None) as batch_op:
        batch_op.create_index(
            "ix_hour_blocks_expiry_unrecorded", ["expired_recorded_at", "expires"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("hour_blocks", schema=None) as batch_op:
        batch_op.drop_index("ix_hour_blocks_expiry_unrecorded")
    with op.batch_alter_table("time_entries", schema=None) as batch_op:
        batch_op.drop_index("ix_time_entries_agent_created")
        batch_op.drop_index("ix_time_entries_customer_day")
    op.drop_table("time_entries")
