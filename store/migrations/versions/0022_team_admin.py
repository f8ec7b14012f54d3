"""team admin from Slack: roles, archived customers and hour-block corrections, audited

Issue 19 items 1 and 6: `/hourglass role add|remove`, `customer archive|unarchive` and
`hours void|adjust` are corrections made from Slack, each audited with who, when and what it
was. `admin_changes` is that audit, one row per change: who, when, the action
(`role.add`, `customer.archive`, `block.void`, `block.adjust`, …), what it was done to
(`U…`, a customer's name, `#12`), the values before and after (JSON) and the reason given.
`customers.archived_at/archived_by`: an archived customer refuses new work and keeps its
history (NULL: active). `hour_blocks.voided_at/voided_by`: a voided block no longer counts
anywhere, and its row is kept (NULL: in use).

Revision ID: 0022
Revises: 0021
"""

import sqlalchemy as sa
from alembic import op

from store.models.base import UTCDateTime

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "admin_changes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=32), nullable=False),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("subject", sa.String(length=64), nullable=False),
        sa.Column("before", sa.JSON(), nullable=True),
        sa.Column("after", sa.JSON(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_admin_changes")),
    )
    with op.batch_alter_table("admin_changes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_admin_changes_subject"), ["subject"], unique=False)
    with op.batch_alter_table("customers", schema=None) as batch_op:
        batch_op.add_column(sa.Column("archived_at", UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("archived_by", sa.String(length=32), nullable=True))
    with op.batch_alter_table("hour_blocks", schema=None) as batch_op:
        batch_op.add_column(sa.Column("voided_at", UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("voided_by", sa.String(length=32), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("hour_blocks", schema=None) as batch_op:
        batch_op.drop_column("voided_by")
        batch_op.drop_column("voided_at")
    with op.batch_alter_table("customers", schema=None) as batch_op:
        batch_op.drop_column("archived_by")
        batch_op.drop_column("archived_at")
    with op.batch_alter_table("admin_changes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_admin_changes_subject"))
    op.drop_table("admin_changes")
