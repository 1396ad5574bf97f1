"""job leases

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02 05:10:00.000000

Who runs each periodic job now: one replica at a time holds a job's lease (ADR 0029).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import kasa_servicekit.db

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "job_leases",
        sa.Column("name", sa.String(length=100), nullable=False, comment="the periodic job"),
        sa.Column(
            "holder", sa.String(length=200), nullable=False, comment="the replica running it"
        ),
        sa.Column("expires_at", kasa_servicekit.db.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_job_leases")),
    )


def downgrade() -> None:
    op.drop_table("job_leases")
