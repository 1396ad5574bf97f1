"""Anchoring workspaces' chain heads outside audit's database, and checking anchors.

The hash chain shows an edit to the trail, but whoever can switch off the database triggers
can also rewrite a whole tail of a chain and its ``chain_heads`` row consistently. Every
``AUDIT_ANCHOR_SECONDS`` a round publishes ``audit.chain.anchored`` (workspace, seq, hash) for
each head that moved since its last anchor; the broker's archive stream keeps those messages,
out of reach of the database, and ``kasa audit verify --anchors`` sends them back to be
checked against the trail. The stream forgets messages after its maximum age, so a head that
has not moved is anchored again every ``AUDIT_ANCHOR_REFRESH_HOURS``: a quiet workspace keeps
an anchor in the stream.
"""

import logging
from collections.abc import Sequence
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from kasa_audit.db.anchors import Anchors
from kasa_audit.db.chain import Chains
from kasa_audit.domain.anchors import Anchor, Mismatch, mismatch
from kasa_contracts import Actor, Envelope
from kasa_contracts.events.audit import ChainAnchored
from kasa_servicekit.db import Database, utcnow
from kasa_servicekit.events import At, EventWriter, Pending

if TYPE_CHECKING:
    from kasa_servicekit.service import Runtime

log = logging.getLogger("kasa.audit.anchors")

SYSTEM = Actor(type="system", id="audit", name="Audit chain anchoring")


async def anchor_heads(
    anchors: Anchors, events: EventWriter, refresh_after: timedelta
) -> list[Envelope[Any]]:
    """Publish (through the outbox) one anchor per workspace whose head moved; those events.

    A head whose last anchor is older than ``refresh_after`` is anchored again even if it did
    not move. Only heads this transaction actually recorded are published, so of two replicas
    racing for the same head only one publishes.
    """
    now = utcnow()
    stale_before = now - refresh_after
    recorded = await anchors.record(await anchors.moved_heads(stale_before), now, stale_before)
    return await events.write_all(
        anchors.session,
        [
            Pending(
                ChainAnchored(workspace_id=head.workspace_id, seq=head.seq, hash=head.hash),
                At(head.workspace_id, SYSTEM),
            )
            for head in recorded
        ],
    )


async def anchor_round(
    db: Database, events: EventWriter, refresh_after: timedelta
) -> list[Envelope[Any]]:
    """One anchoring round in its own transaction."""
    async with db.transaction() as session:
        return await anchor_heads(Anchors(session), events, refresh_after)


async def anchor_once(runtime: "Runtime") -> None:
    """One round of the periodic job (``AUDIT_ANCHOR_SECONDS``, one replica at a time)."""
    refresh_after = timedelta(hours=float(getattr(runtime.settings, "anchor_refresh_hours", 24)))
    anchored = await anchor_round(runtime.db, runtime.events, refresh_after)
    if anchored:
        log.info("anchored %d audit chain head(s)", len(anchored))


async def check_anchors(chains: Chains, anchors: Sequence[Anchor]) -> list[Mismatch]:
    """The anchors the stored trail no longer matches, in the order given."""
    stored = await chains.entries_at([(a.workspace_id, a.seq) for a in anchors])
    return [
        found
        for anchor in anchors
        if (found := mismatch(anchor, stored.get((anchor.workspace_id, anchor.seq))))
    ]
