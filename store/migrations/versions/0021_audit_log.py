"""audit log: every correction from Slack, one row each; `/call undo <#id>` keeps the call

Issue 19 item 1: every correction from Slack is audited (who, when, what it was). One table,
`audit_log`, one row per correction of any kind (`time_entry.undo`, `phone_call.undo`,
`role.add`, `customer.archive`, `block.void`, `booking.restore`, `ticket.reopen`, …): who,
when, the action, what it was done to (kind and id), the customer it concerns (NULL for a
role; not a foreign key, so the log never locks a customer row), the values before and
after as JSON, and the reason given. A call that is undone is kept and marked
(`phone_calls.undone_at`), as an undone time entry already is.

Revision ID: 0021
Revises: 0018
"""

import sqlalchemy as sa
from alembic import op

from store.models.base import UTCDateTime

revision = "0021"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=32), nullable=False),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("subject_kind", sa.String(length=16), nullable=False),
        sa.Column("subject_id", sa.String(length=64), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=True),
        sa.Column("before", sa.JSON(), nullable=True),
        sa.Column("after", sa.JSON(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_log")),
    )
    op.create_index("ix_audit_log_at", "audit_log", ["at"])
    op.create_index("ix_audit_log_subject", "audit_log", ["subject_kind", "subject_id"])
    op.create_index("ix_audit_log_customer_at", "audit_log", ["customer_id", "at"])
    op.create_index("ix_audit_log_actor_at", "audit_log", ["actor", "at"])
    with op.batch_alter_table("phone_calls", schema=None) as batch_op:
        batch_op.add_column(sa.Column("undone_at", UTCDateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("phone_calls", schema=None) as batch_op:
        batch_op.drop_column("undone_at")
    for index in (
        "ix_audit_log_actor_at",
        "ix_audit_log_customer_at",
        "ix_audit_log_subject",
        "ix_audit_log_at",
    ):
        op.drop_index(index, table_name="audit_log")
    op.drop_table("audit_log")
