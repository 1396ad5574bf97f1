"""login failures per account and address

The lockout per email (``login_throttle``) gives way to failures counted per email and client
address, with a growing wait for that address only. The old counts are dropped: they were
short-lived (minutes), and a count without its address cannot be carried over.

Revision ID: 0004
Revises: 0003
Create Date: 2027-01-10 10:00:00
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
        "login_failures",
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("address", sa.String(length=64), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("last_failure_at", kasa_servicekit.db.UtcDateTime(timezone=True), nullable=False),
        sa.Column("blocked_until", kasa_servicekit.db.UtcDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("email", "address", name=op.f("pk_login_failures")),
    )
    with op.batch_alter_table("login_failures", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_login_failures_last_failure_at"), ["last_failure_at"], unique=False
        )
    op.drop_table("login_throttle")


def downgrade() -> None:
    op.create_table(
        "login_throttle",
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column(
            "window_started_at", kasa_servicekit.db.UtcDateTime(timezone=True), nullable=False
        ),
        sa.Column("locked_until", kasa_servicekit.db.UtcDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("email", name=op.f("pk_login_throttle")),
    )
    with op.batch_alter_table("login_failures", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_login_failures_last_failure_at"))
    op.drop_table("login_failures")
