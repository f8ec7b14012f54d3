"""timer reminders end: call_timers.next_reminder_at may be NULL (no more reminders)

A timer that has run past fair_use.max_call gets one last reminder with a Discard button;
after it the timer's next_reminder_at is NULL, so the sweep (which reads only rows with a
due next_reminder_at, through its index) never looks at it again.

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

from store.models.base import UTCDateTime

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("call_timers", schema=None) as batch_op:
        batch_op.alter_column(
            "next_reminder_at", existing_type=UTCDateTime(timezone=True), nullable=True
        )


def downgrade() -> None:
    # A timer whose reminders ended gets its next reminder at its start instant: the old
    # code then reminds again, as it always did.
    call_timers = sa.table(
        "call_timers",
        sa.column("started_at", UTCDateTime(timezone=True)),
        sa.column("next_reminder_at", UTCDateTime(timezone=True)),
    )
    op.execute(
        call_timers.update()
        .where(call_timers.c.next_reminder_at.is_(None))
        .values(next_reminder_at=call_timers.c.started_at)
    )
    with op.batch_alter_table("call_timers", schema=None) as batch_op:
        batch_op.alter_column(
            "next_reminder_at", existing_type=UTCDateTime(timezone=True), nullable=False
        )
