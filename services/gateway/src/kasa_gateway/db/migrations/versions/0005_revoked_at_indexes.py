"""indexes on revoked_at: the list of revoked sessions reads recent revocations only

Revision ID: 0005
Revises: 0004
Create Date: 2027-01-15 10:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_refresh_tokens_revoked_at", "refresh_tokens", ["revoked_at"])
    op.create_index("ix_web_sessions_revoked_at", "web_sessions", ["revoked_at"])


def downgrade() -> None:
    op.drop_index("ix_web_sessions_revoked_at", table_name="web_sessions")
    op.drop_index("ix_refresh_tokens_revoked_at", table_name="refresh_tokens")
