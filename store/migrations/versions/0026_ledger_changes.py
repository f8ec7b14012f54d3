"""ledger changes: which flush touched a customer's logged time, and from which date

Issue 11 item 3: the ledger keeps the state its allocation carries into a month instead of
recomputing every charge since the customer's first day. A row here (written by the flush
hook in store.models.time_entries) says a customer's logged time changed on or after
`work_date`; a kept state for a later month is then recomputed.

Revision ID: 0026
Revises: 0024
"""

import sqlalchemy as sa
from alembic import op

revision = "0026"
down_revision = "0024"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "ledger_changes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("work_date", sa.Date(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ledger_changes")),
    )
    op.create_index(
        "ix_ledger_changes_customer", "ledger_changes", ["customer_id", "id"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_ledger_changes_customer", table_name="ledger_changes")
    op.drop_table("ledger_changes")
