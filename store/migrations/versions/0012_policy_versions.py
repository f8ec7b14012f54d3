"""policy versions: each version of the policy file as recorded at start-up (issue 16)

A start-up compares the file's versions with the rows whose `superseded_at` is NULL and
refuses an edit that would change a day already past; an accepted change supersedes the
rows (kept as the audit), and `hourglass policy rerate` records who re-rated from when.

Revision ID: 0012
Revises: 0011
"""

import sqlalchemy as sa
from alembic import op

from store.models.base import UTCDateTime

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "policy_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("effective_from", sa.Date(), nullable=True),
        sa.Column("content", sa.JSON(), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("recorded_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("recorded_by", sa.String(length=64), nullable=False),
        sa.Column("rerated_from", sa.Date(), nullable=True),
        sa.Column("superseded_at", UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_policy_versions")),
    )
    op.create_index(
        "ix_policy_versions_superseded_at", "policy_versions", ["superseded_at"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_policy_versions_superseded_at", table_name="policy_versions")
    op.drop_table("policy_versions")
