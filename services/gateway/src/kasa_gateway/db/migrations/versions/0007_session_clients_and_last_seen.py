"""sessions remember the client that started them, and web sessions when they were last seen

Revision ID: 0007
Revises: 0006
Create Date: 2027-02-10 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import kasa_servicekit.db

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ADDRESS_COMMENT = {
    "refresh_tokens": "where the family's sign-in came from; kept on every rotation",
    "web_sessions": "where the sign-in came from",
}


def upgrade() -> None:
    for table, comment in ADDRESS_COMMENT.items():
        with op.batch_alter_table(table) as batch:
            batch.add_column(
                sa.Column("address", sa.String(length=100), nullable=True, comment=comment)
            )
            batch.add_column(sa.Column("user_agent", sa.String(length=512), nullable=True))
    with op.batch_alter_table("web_sessions") as batch:
        batch.add_column(
            sa.Column(
                "last_seen_at",
                kasa_servicekit.db.UtcDateTime(timezone=True),
                nullable=True,
                comment="a request used the session; written at most once a minute",
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("web_sessions") as batch:
        batch.drop_column("last_seen_at")
    for table in ADDRESS_COMMENT:
        with op.batch_alter_table(table) as batch:
            batch.drop_column("user_agent")
            batch.drop_column("address")
