"""chain anchors

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-21 19:55:58.897817

The last chain head each workspace had published as an anchor, so the anchoring job only
publishes heads that moved since.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import kasa_servicekit.db

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "chain_anchors",
        sa.Column("workspace_id", sa.Uuid(), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.Column("anchored_at", kasa_servicekit.db.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("workspace_id", name=op.f("pk_chain_anchors")),
    )


def downgrade() -> None:
    op.drop_table("chain_anchors")
