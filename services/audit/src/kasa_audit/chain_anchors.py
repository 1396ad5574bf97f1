"""Publishing workspaces' chain heads as anchors kept outside audit's database.

The hash chain shows an edit to the trail, but whoever can switch off the database triggers
can also rewrite a whole tail of a chain and its ``chain_heads`` row consistently. Every
``AUDIT_ANCHOR_SECONDS`` this job publishes ``audit.chain.anchored`` (workspace, seq, hash) for
each head that moved since its last anchor; the broker's archive stream keeps those messages,
out of reach of the database, and ``kasa audit verify --anchors`` compares them with the trail.
The stream forgets messages after its maximum age, so a head that has not moved is anchored
again every ``AUDIT_ANCHOR_REFRESH_HOURS``: a quiet workspace keeps an anchor in the stream.

Audit consumes its own anchors like every event, but only archives them: chaining an anchor
would move the head it anchors, so each anchor would cause the next one forever.
"""

import asyncio
import logging
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from kasa_audit.db.tables import ChainAnchor, ChainHead
from kasa_contracts import Actor, Envelope
from kasa_contracts.events.audit import ChainAnchored
from kasa_servicekit.db import Database, utcnow
from kasa_servicekit.outbox import add_events, make_envelope

if TYPE_CHECKING:
    from kasa_servicekit.service import Runtime

log = logging.getLogger("kasa.audit.anchors")

ANCHOR_ROUTING_KEY = ChainAnchored.routing_key()
SYSTEM = Actor(type="system", id="audit", name="Audit chain anchoring")
_CHUNK = 500


async def anchor_heads(db: Database, refresh_after: timedelta) -> list[Envelope[Any]]:
    """Publish (through the outbox) one anchor per workspace whose head moved; those events.

    A head whose last anchor is older than ``refresh_after`` is anchored again even if it did
    not move.

    Safe with several replicas: the anchor row is written with a conditional upsert, and only
    the transaction that actually moves it publishes. A second replica racing for the same head
    waits for the first's row lock, then finds the anchor already there and publishes nothing.
    """
    anchors = ChainAnchor.__table__
    published: list[Envelope[Any]] = []
    now = utcnow()
    stale = anchors.c.anchored_at < now - refresh_after
    async with db.transaction() as session:
        moved = (
            await session.execute(
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
        ).all()
        insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
        for start in range(0, len(moved), _CHUNK):
            rows = [
                {"workspace_id": ws, "seq": seq, "hash": hash_, "anchored_at": now}
                for ws, seq, hash_ in moved[start : start + _CHUNK]
            ]
            stmt = insert(anchors).values(rows)
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
            for ws, seq, hash_ in await session.execute(upsert):
                published.append(
                    make_envelope(
                        ChainAnchored(workspace_id=ws, seq=seq, hash=hash_),
                        producer="audit",
                        workspace_id=ws,
                        actor=SYSTEM,
                    )
                )
        await add_events(session, published)
    return published


async def anchor_chains(runtime: "Runtime") -> None:
    """Background job: anchor heads every ``AUDIT_ANCHOR_SECONDS`` until cancelled."""
    interval = float(getattr(runtime.settings, "anchor_seconds", 300))
    refresh_after = timedelta(hours=float(getattr(runtime.settings, "anchor_refresh_hours", 24)))
    while True:
        await asyncio.sleep(interval)
        try:
            anchored = await anchor_heads(runtime.db, refresh_after)
        except Exception:
            # A database hiccup skips one round; the next one anchors whatever moved meanwhile.
            log.exception("anchoring audit chain heads failed")
            continue
        if anchored:
            log.info("anchored %d audit chain head(s)", len(anchored))
