"""calls: running call timers and recorded phone calls (seed 000 fair use)

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

from store.models.base import UTCDateTime

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "call_timers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("agent_id", sa.String(length=32), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("caller", sa.String(length=64), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("started_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("next_reminder_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("reminders_sent", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customers.id"], name=op.f("fk_call_timers_customer_id_customers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_call_timers")),
        sa.UniqueConstraint("agent_id", name="uq_call_timers_agent_id"),
    )
    with op.batch_alter_table("call_timers", schema=None) as batch_op:
        batch_op.create_index("ix_call_timers_next_reminder_at", ["next_reminder_at"], unique=False)

    op.create_table(
        "phone_calls",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("caller", sa.String(length=64), nullable=False),
        sa.Column("agent_id", sa.String(length=32), nullable=False),
        sa.Column("started_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("seconds", sa.Integer(), nullable=False),
        sa.Column("quality", sa.Integer(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("covered", sa.Boolean(), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customers.id"], name=op.f("fk_phone_calls_customer_id_customers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_phone_calls")),
    )
    with op.batch_alter_table("phone_calls", schema=None) as batch_op:
        batch_op.create_index(
            "ix_phone_calls_customer_started", ["customer_id", "started_at"], unique=False
        )
        batch_op.create_index(
            "ix_phone_calls_agent_started", ["agent_id", "started_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("phone_calls", schema=None) as batch_op:
        batch_op.drop_index("ix_phone_calls_agent_started")
        batch_op.drop_index("ix_phone_calls_customer_started")
    op.drop_table("phone_calls")
    with op.batch_alter_table("call_timers", schema=None) as batch_op:
        batch_op.drop_index("ix_call_timers_next_reminder_at")
    op.drop_table("call_timers")
