"""alert audience: a team channel per customer, who each alert is for, replies in a thread

Issue 17 item 2, SPEC §5: a customer's support channel is shared with the customer (their
top-level messages open tickets there), so internal alerts go to the team's channel instead.
`customers.team_channel` is the team's internal channel for that customer (NULL: the
provider's `alert_channel`); `alerts.audience` says who an alert's words are for (`team`,
`customer`, or `direct` for a DM); `alerts.thread_ts` posts it as a reply in a thread (the
acknowledgement of a ticket opened from a customer's message).

Revision ID: 0015
Revises: 0013
"""

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("customers", schema=None) as batch_op:
        batch_op.add_column(sa.Column("team_channel", sa.String(length=32), nullable=True))
    with op.batch_alter_table("alerts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("audience", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("thread_ts", sa.String(length=32), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("alerts", schema=None) as batch_op:
        batch_op.drop_column("thread_ts")
        batch_op.drop_column("audience")
    with op.batch_alter_table("customers", schema=None) as batch_op:
        batch_op.drop_column("team_channel")
