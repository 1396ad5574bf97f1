"""hash chain

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-21 16:22:33.034385
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from kasa_audit.db.tables import AuditEntry
from kasa_audit.domain.chain import GENESIS, HASHED_FIELDS, link

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _chain_existing_entries() -> None:
    """Give entries recorded before the chain existed their links, per workspace in id order."""
    table = AuditEntry.__table__
    stored = [name for name in HASHED_FIELDS if name not in ("seq", "source_plugin")]
    rows = op.get_bind().execute(
        sa.select(*(table.c[name] for name in stored)).order_by(table.c.workspace_id, table.c.id)
    )
    updates = []
    heads: dict[object, dict[str, object]] = {}
    workspace, seq, prev_hash = None, 0, GENESIS
    for row in rows.mappings():
        if row["workspace_id"] != workspace:
            workspace, seq, prev_hash = row["workspace_id"], 0, GENESIS
        seq += 1
        fields = {**row, "seq": seq, "source_plugin": (row["source"] or {}).get("plugin")}
        entry_hash = link(prev_hash, fields)
        updates.append(
            {
                "b_id": row["id"],
                "seq": seq,
                "prev_hash": prev_hash,
                "hash": entry_hash,
                "source_plugin": fields["source_plugin"],
            }
        )
        prev_hash = entry_hash
        heads[workspace] = {"workspace_id": workspace, "seq": seq, "hash": entry_hash}
    if updates:
        op.get_bind().execute(
            table.update()
            .where(table.c.id == sa.bindparam("b_id"))
            .values(
                seq=sa.bindparam("seq"),
                prev_hash=sa.bindparam("prev_hash"),
                hash=sa.bindparam("hash"),
                source_plugin=sa.bindparam("source_plugin"),
            ),
            updates,
        )
        op.bulk_insert(_heads_table(), list(heads.values()))


def _heads_table() -> sa.Table:
    return sa.table(
        "chain_heads",
        sa.column("workspace_id", sa.Uuid()),
        sa.column("seq", sa.BigInteger()),
        sa.column("hash", sa.String(64)),
    )  # type: ignore[return-value]


def upgrade() -> None:
    op.create_table(
        "chain_heads",
        sa.Column("workspace_id", sa.Uuid(), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("workspace_id", name=op.f("pk_chain_heads")),
    )
    with op.batch_alter_table("audit_entries", schema=None) as batch_op:
        batch_op.add_column(sa.Column("source_plugin", sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column("seq", sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column("prev_hash", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("hash", sa.String(length=64), nullable=True))

    _chain_existing_entries()

    with op.batch_alter_table("audit_entries", schema=None) as batch_op:
        batch_op.alter_column("seq", existing_type=sa.BigInteger(), nullable=False)
        batch_op.alter_column("prev_hash", existing_type=sa.String(length=64), nullable=False)
        batch_op.alter_column("hash", existing_type=sa.String(length=64), nullable=False)
        batch_op.create_index("ix_audit_entries_chain", ["workspace_id", "seq"], unique=True)


def downgrade() -> None:
    with op.batch_alter_table("audit_entries", schema=None) as batch_op:
        batch_op.drop_index("ix_audit_entries_chain")
        batch_op.drop_column("hash")
        batch_op.drop_column("prev_hash")
        batch_op.drop_column("seq")
        batch_op.drop_column("source_plugin")

    op.drop_table("chain_heads")
