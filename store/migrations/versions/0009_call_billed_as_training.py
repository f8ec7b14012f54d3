"""call billed as training: phone_calls.billed_as, billed_by, billed_at

Seed 000: calls over 15 minutes "might be deemed as training rather than support", and
training is "chargeable at £60 (ex VAT) per hour". A manager's decision is kept on the call
with who made it and when: `billed_as` is NULL (undecided: support), "training" (billed at
the training rate, outside fair use) or "support" (a training decision undone).

Revision ID: 0009
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

from store.models.base import UTCDateTime

revision = "0009"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("phone_calls", schema=None) as batch_op:
        batch_op.add_column(sa.Column("billed_as", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("billed_by", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("billed_at", UTCDateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("phone_calls", schema=None) as batch_op:
        batch_op.drop_column("billed_at")
        batch_op.drop_column("billed_by")
        batch_op.drop_column("billed_as")
