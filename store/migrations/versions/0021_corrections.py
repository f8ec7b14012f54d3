"""corrections: `/log undo|edit <#id>` and `/call undo <#id>`, audited

Issue 19 item 1: every correction from Slack is audited (who, when, what it was). One row
per undo or edit in `corrections`, with the values before and after as JSON; a call that
is undone is kept and marked (`phone_calls.undone_at`), as an undone time entry already is.

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
        "corrections",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("subject", sa.String(length=16), nullable=False),
        sa.Column("subject_id", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("actor", sa.String(length=32), nullable=False),
        sa.Column("at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("before", sa.JSON(), nullable=False),
        sa.Column("after", sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_corrections")),
    )
    op.create_index("ix_corrections_subject", "corrections", ["subject", "subject_id"])
    with op.batch_alter_table("phone_calls", schema=None) as batch_op:
        batch_op.add_column(sa.Column("undone_at", UTCDateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("phone_calls", schema=None) as batch_op:
        batch_op.drop_column("undone_at")
    op.drop_index("ix_corrections_subject", table_name="corrections")
    op.drop_table("corrections")
