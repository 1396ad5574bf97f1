"""The anchor bookkeeping: which chain heads moved since their last anchor, and recording
new anchors so that only one replica publishes each."""

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kasa_audit.db.tables import ChainAnchor, ChainHead
from kasa_audit.domain.anchors import Anchor
from kasa_servicekit.db import dialect_insert

anchors = ChainAnchor.__table__
_CHUNK = 500


class Anchors:
    """Chain heads and their anchors, in one transaction."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def moved_heads(self, stale_before: datetime) -> list[Anchor]:
        """Heads never anchored, moved past their anchor, or anchored before ``stale_before``."""
        stale = anchors.c.anchored_at < stale_before
        rows = await self.session.execute(
            select(ChainHead.workspace_id, ChainHead.seq, ChainHead.hash)
            .outerjoin(anchors, anchors.c.workspace_id == ChainHead.workspace_id)
            .where(ChainHead.seq > 0)
            .where(
                anchors.c.seq.is_(None)
                | (anchors.c.seq < ChainHead.seq)
                | (stale & (anchors.c.seq <= ChainHead.seq))
            )
            .order_by(ChainHead.workspace_id)
        )
        return [Anchor(ws, seq, hash_) for ws, seq, hash_ in rows.all()]

    async def record(
        self, heads: Sequence[Anchor], now: datetime, stale_before: datetime
    ) -> list[Anchor]:
        """Record these heads as anchored now; the ones this transaction actually moved.

        The conditional upsert makes it safe with several replicas: a second replica racing
        for the same head waits for the first's row lock, then finds the anchor already there.
        """
        stale = anchors.c.anchored_at < stale_before
        recorded: list[Anchor] = []
        for start in range(0, len(heads), _CHUNK):
            rows = [
                {"workspace_id": h.workspace_id, "seq": h.seq, "hash": h.hash, "anchored_at": now}
                for h in heads[start : start + _CHUNK]
            ]
            stmt = dialect_insert(self.session, anchors).values(rows)
            upsert = stmt.on_conflict_do_update(
                index_elements=[anchors.c.workspace_id],
                set_={
                    "seq": stmt.excluded.seq,
                    "hash": stmt.excluded.hash,
                    "anchored_at": stmt.excluded.anchored_at,
                },
                # Never back to an older head another replica anchored meanwhile.
                where=(anchors.c.seq < stmt.excluded.seq)
                | (stale & (anchors.c.seq <= stmt.excluded.seq)),
            ).returning(anchors.c.workspace_id, anchors.c.seq, anchors.c.hash)
            recorded += [Anchor(ws, seq, h) for ws, seq, h in await self.session.execute(upsert)]
        return recorded
