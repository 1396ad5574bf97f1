"""Reading and advancing workspaces' hash chains in the database."""

from collections.abc import AsyncIterator, Iterable, Sequence
from typing import Any
from uuid import UUID

from sqlalchemy import bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from kasa_audit.db.tables import AuditEntry, ChainAnchor, ChainHead
from kasa_audit.domain.anchors import StoredEntry
from kasa_audit.domain.chain import GENESIS, HASHED_FIELDS
from kasa_servicekit.db import Database, dialect_insert

heads = ChainHead.__table__


async def lock_heads(session: AsyncSession, workspace_ids: Iterable[UUID]) -> dict[UUID, Any]:
    """The chain heads (``seq``, ``hash``) of these workspaces, locked until the commit.

    On PostgreSQL ``SELECT … ORDER BY workspace_id FOR UPDATE`` makes appends to one workspace
    wait for each other, leaves other workspaces alone, and takes the locks in one order so
    two writers cannot deadlock over them. SQLite has one writer at a time anyway.
    """
    wanted = sorted(set(workspace_ids))
    stmt = (
        select(heads.c.workspace_id, heads.c.seq, heads.c.hash)
        .where(heads.c.workspace_id.in_(wanted))
        .order_by(heads.c.workspace_id)
        .with_for_update()
    )
    found = {row.workspace_id: row for row in await session.execute(stmt)}
    missing = [ws for ws in wanted if ws not in found]
    if missing:
        # First events of a workspace may race: one writer inserts, the other waits for it.
        rows = [{"workspace_id": ws, "seq": 0, "hash": GENESIS} for ws in missing]
        await session.execute(dialect_insert(session, heads).values(rows).on_conflict_do_nothing())
        again = stmt.where(heads.c.workspace_id.in_(missing))
        found |= {row.workspace_id: row for row in await session.execute(again)}
    return found


async def save_heads(session: AsyncSession, moved: dict[UUID, tuple[int, str]]) -> None:
    stmt = (
        update(heads)
        .where(heads.c.workspace_id == bindparam("ws"))
        .values(seq=bindparam("new_seq"), hash=bindparam("new_hash"))
    )
    params = [{"ws": ws, "new_seq": seq, "new_hash": h} for ws, (seq, h) in moved.items()]
    await session.execute(stmt, params)


_CHAIN_COLUMNS = [AuditEntry.__table__.c[name] for name in (*HASHED_FIELDS, "prev_hash", "hash")]


async def entries_in_order(
    db: Database, workspace_id: UUID, batch: int = 1000
) -> AsyncIterator[dict[str, Any]]:
    """Every entry of the workspace with its chain fields, by ``seq``, read in batches."""
    after = 0
    while True:
        stmt = (
            select(*_CHAIN_COLUMNS)
            .where(AuditEntry.workspace_id == workspace_id, AuditEntry.seq > after)
            .order_by(AuditEntry.seq)
            .limit(batch)
        )
        async with db.sessions() as session:
            rows = (await session.execute(stmt)).mappings().all()
        for row in rows:
            yield dict(row)
        if len(rows) < batch:
            return
        after = rows[-1]["seq"]


async def head_of(db: Database, workspace_id: UUID) -> ChainHead | None:
    async with db.sessions() as session:
        return await session.get(ChainHead, workspace_id)


class Chains:
    """Reading workspaces' chains for verification: entries in order, heads, anchors and the
    entries they name."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def entries(self, workspace_id: UUID) -> AsyncIterator[dict[str, Any]]:
        return entries_in_order(self.db, workspace_id)

    async def head(self, workspace_id: UUID) -> ChainHead | None:
        return await head_of(self.db, workspace_id)

    async def last_anchor(self, workspace_id: UUID) -> ChainAnchor | None:
        """The workspace's chain head as it was last anchored, if it ever was."""
        async with self.db.sessions() as session:
            return await session.get(ChainAnchor, workspace_id)

    async def workspaces(self) -> list[UUID]:
        """Every workspace that has a trail."""
        async with self.db.sessions() as session:
            return list(await session.scalars(select(ChainHead.workspace_id)))

    async def entries_at(
        self, points: Sequence[tuple[UUID, int]]
    ) -> dict[tuple[UUID, int], StoredEntry]:
        """The entries at these (workspace, seq) points, where there are any."""
        found: dict[tuple[UUID, int], StoredEntry] = {}
        async with self.db.sessions() as session:
            for workspace_id, seq in points:
                entry = (
                    await session.execute(
                        select(AuditEntry.id, AuditEntry.event_id, AuditEntry.hash).where(
                            AuditEntry.workspace_id == workspace_id, AuditEntry.seq == seq
                        )
                    )
                ).first()
                if entry is not None:
                    found[(workspace_id, seq)] = StoredEntry(entry.id, entry.event_id, entry.hash)
        return found
