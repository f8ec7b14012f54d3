"""customer phone support: the telephone add-on (seed 000) and who set it, when

Seed 000: fair use applies to "all customers who pay for telephone support (Complete
Account levels or customers paying the additional monthly fee for telephone support on
lower packages)". `customers.phone_support` is NULL while the plan's default stands,
true when the add-on is bought, false when it was removed; `phone_support_by` and
`phone_support_at` say who last set it and when (NULL until a manager first does).

Revision ID: 0011
Revises: 0010
"""

import sqlalchemy as sa
from alembic import op

from store.models.base import UTCDateTime

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("customers", schema=None) as batch_op:
        batch_op.add_column(sa.Column("phone_support", sa.Boolean(), nullable=True))
        batch_op.add_column(sa.Column("phone_support_by", sa.String(length=32), nullable=True))
        batch_op.add_column(
            sa.Column("phone_support_at", UTCDateTime(timezone=True), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("customers", schema=None) as batch_op:
        batch_op.drop_column("phone_support_at")
        batch_op.drop_column("phone_support_by")
        batch_op.drop_column("phone_support")
