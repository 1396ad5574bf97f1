"""Syncs are queued work: a claiming worker, its lease, attempts; uploads kept for any worker

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23 10:00:00.000000
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
    with op.batch_alter_table("syncs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("worker_id", sa.String(length=128), nullable=True))
        batch_op.add_column(
            sa.Column("lease_until", kasa_servicekit.db.UtcDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(sa.Column("attempts", sa.Integer(), server_default="0", nullable=False))
    # A run left running by the previous version has no lease: its last heartbeat is the
    # deadline, so the sweep resumes it once that is past.
    op.execute("UPDATE syncs SET lease_until = heartbeat_at WHERE status = 'running'")
    op.create_table(
        "sync_uploads",
        sa.Column("sync_id", sa.Uuid(), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("sync_id", name=op.f("pk_sync_uploads")),
    )


def downgrade() -> None:
    op.drop_table("sync_uploads")
    with op.batch_alter_table("syncs", schema=None) as batch_op:
        batch_op.drop_column("attempts")
        batch_op.drop_column("lease_until")
        batch_op.drop_column("worker_id")
