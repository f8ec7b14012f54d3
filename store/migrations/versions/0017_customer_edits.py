"""customer edits: who last changed a customer's plan, seats or channels, and when

Issue 17: `/hourglass customer edit` changes a customer after `customer add`; every
correction is audited (who, when). `created_by`/`created_at` say who added the customer;
`updated_by`/`updated_at` say who last edited it (NULL: never edited). The previous values
are in the edit's reply, as its undo.

Revision ID: 0017
Revises: 0015
"""

import sqlalchemy as sa
from alembic import op

from store.models.base import UTCDateTime

revision = "0017"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("customers", schema=None) as batch_op:
        batch_op.add_column(sa.Column("updated_by", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("updated_at", UTCDateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("customers", schema=None) as batch_op:
        batch_op.drop_column("updated_at")
        batch_op.drop_column("updated_by")
