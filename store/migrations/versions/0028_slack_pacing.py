"""slack pacing: Slack's limits kept by the outbox, shared by every clock

Issue 12 item 3: the outbox posts at most about one message a second per channel (Slack's
special limit for chat.postMessage) and obeys a 429's Retry-After itself, and a refused bot
token is remembered. Each is a row here, so a second clock process honours what the first
learned. See store/models/pacing.py.

Revision ID: 0028
Revises: 0026
"""

import sqlalchemy as sa
from alembic import op

from store.models.base import UTCDateTime

revision = "0028"
down_revision = "0026"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "slack_pacing",
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("subject", sa.String(length=80), nullable=False),
        sa.Column("not_before", UTCDateTime(timezone=True), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("kind", "subject", name=op.f("pk_slack_pacing")),
    )


def downgrade() -> None:
    op.drop_table("slack_pacing")
