"""alert leases: a fencing token per delivery, posts whose outcome is unknown, failing since

Issue 18: two clocks (or a clock and a cron sweep) must not post one alert twice, and an
alert must not be dropped after an hour of Slack failures. `lease_token`/`leased_until`
fence a delivery (only the holder records its outcome); `post_started_at` says a post may
already be in the channel (look for it by its metadata before posting again);
`failing_since` lets managers see alerts that have been failing for a while.

Revision ID: 0018
Revises: 0017
"""

import sqlalchemy as sa
from alembic import op

from store.models.base import UTCDateTime

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("alerts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("lease_token", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("leased_until", UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("post_started_at", UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("failing_since", UTCDateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("alerts", schema=None) as batch_op:
        batch_op.drop_column("failing_since")
        batch_op.drop_column("post_started_at")
        batch_op.drop_column("leased_until")
        batch_op.drop_column("lease_token")
