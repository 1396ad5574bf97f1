"""instance operator flag on users

Revision ID: 0008
Revises: 0007
Create Date: 2027-02-01 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(
            sa.Column(
                "instance_operator",
                sa.Boolean(),
                nullable=False,
                server_default=sa.false(),
                comment="may operate the instance (status, parked messages); granted by a command",
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.drop_column("instance_operator")
