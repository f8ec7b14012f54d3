"""seen requests: a signed Slack request is served once

Issue 18 item 6: a captured signed request re-sent within Slack's five-minute timestamp
window was served again (a replayed `/log` recorded twice). Each signature served is
remembered here, keyed by its SHA-256, with the timestamp Slack signed it with; the same
signature again is refused. The clock forgets rows older than ten minutes, by then any
replay fails the timestamp check anyway.

Revision ID: 0024
Revises: 0023
"""

import sqlalchemy as sa
from alembic import op

from store.models.base import UTCDateTime

revision = "0024"
down_revision = "0023"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "seen_requests",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("signed_at", UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_seen_requests")),
    )
    op.create_index("ix_seen_requests_signed_at", "seen_requests", ["signed_at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_seen_requests_signed_at", table_name="seen_requests")
    op.drop_table("seen_requests")
