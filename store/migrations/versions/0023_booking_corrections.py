"""booking corrections: a cancellation restored, a late or no-show charge waived

Issue 19: `/book restore <#id>` un-cancels a booking (the late charge goes with it) and
`/book waive <#id> <reason>` waives a late-cancellation or no-show charge, both from Slack and
audited. `restored_by`/`restored_at`/`restored_from` say who restored it, when, and what it was
(the status it had: cancelled, late_cancelled or no_show); the cancellation's own
`cancelled_by`/`cancelled_at` stay as they were. `waived_by`/`waived_at`/`waive_reason` say who
waived the charge, when and why; the charge's minutes stay recorded, billed as 0.

Revision ID: 0023
Revises: 0022
"""

import sqlalchemy as sa
from alembic import op

from store.models.base import UTCDateTime

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("bookings", schema=None) as batch_op:
        batch_op.add_column(sa.Column("restored_by", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("restored_at", UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("restored_from", sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column("waived_by", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("waived_at", UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("waive_reason", sa.String(length=500), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("bookings", schema=None) as batch_op:
        for column in (
            "waive_reason",
            "waived_at",
            "waived_by",
            "restored_from",
            "restored_at",
            "restored_by",
        ):
            batch_op.drop_column(column)
