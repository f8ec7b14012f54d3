"""issued statements: a month's statement frozen when a manager issues it

Issue 16 item 2: once issued, a month's statement is what the customer was sent; later
reports of that month return this JSON byte for byte, and any later change to its figures
lands in the next open month as an adjustment. One row per customer and month: the JSON as
issued, its SHA-256, who issued it and when.

Revision ID: 0013
Revises: 0012
"""

import sqlalchemy as sa
from alembic import op

from store.models.base import UTCDateTime

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "issued_statements",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("json", sa.Text(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("issued_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("issued_by", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_issued_statements_customer_id_customers"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_issued_statements")),
        sa.UniqueConstraint("customer_id", "month", name=op.f("uq_issued_statements_customer_id")),
    )


def downgrade() -> None:
    op.drop_table("issued_statements")
