"""rate limit windows: the rate limits count in the database, shared by every instance

Until now each gateway instance counted its rate limits in its own memory, so N instances let
a client through N times. Nothing is carried over: the in-memory counts were per process and
lived a minute or an hour.

Revision ID: 0010
Revises: 0009
Create Date: 2027-03-15 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "rate_limit_windows",
        sa.Column("name", sa.String(length=32), nullable=False, comment="which limit"),
        sa.Column(
            "key",
            sa.String(length=128),
            nullable=False,
            comment="what the limit counts (a user, an address); a longer key is kept as its hash",
        ),
        sa.Column(
            "window_start", sa.BigInteger(), nullable=False, comment="seconds since the epoch"
        ),
        sa.Column(
            "window_end",
            sa.BigInteger(),
            nullable=False,
            comment="seconds since the epoch; from then on the row is stale",
        ),
        sa.Column(
            "hits",
            sa.Integer(),
            nullable=False,
            comment="hits counted or handed to an instance in the window; may pass the limit",
        ),
        sa.PrimaryKeyConstraint("name", "key", name=op.f("pk_rate_limit_windows")),
    )
    op.create_index(
        op.f("ix_rate_limit_windows_window_end"), "rate_limit_windows", ["window_end"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_rate_limit_windows_window_end"), table_name="rate_limit_windows")
    op.drop_table("rate_limit_windows")
