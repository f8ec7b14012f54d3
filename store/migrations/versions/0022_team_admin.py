"""team admin from Slack: archived customers and voided hour blocks

Issue 19 items 1 and 6: `/hourglass role add|remove`, `customer archive|unarchive` and
`hours void|adjust` are corrections made from Slack, each audited in `audit_log` (0021)
with who, when and what it was.
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
