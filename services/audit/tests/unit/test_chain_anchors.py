"""Anchoring rounds and the anchor check, on in-memory stores."""

from datetime import timedelta
from uuid import uuid4

from kasa_audit.app.chain_anchors import anchor_heads, check_anchors
from kasa_audit.app.trail import append
from kasa_audit.domain.anchors import Anchor
from kasa_contracts.events.audit import ChainAnchored
from kasa_servicekit.events import RecordedEvents

from .conftest import FakeAnchors, FakeChains, FakeTrail, envelope

DAY = timedelta(hours=24)
HA = "a" * 64


async def test_a_round_publishes_one_anchor_per_moved_head_in_its_workspace():
    a, b = uuid4(), uuid4()
    anchors = FakeAnchors({a: (3, HA), b: (0, "0" * 64)})
    events = RecordedEvents("audit")
    written = await anchor_heads(anchors, events, DAY)
    [anchor] = written
    assert isinstance(anchor.payload, ChainAnchored)
    assert (anchor.workspace_id, anchor.payload.seq, anchor.payload.hash) == (a, 3, HA)
    assert (anchor.actor.type, anchor.actor.id) == ("system", "audit")
    assert await anchor_heads(anchors, events, DAY) == [], "nothing moved, nothing published"


async def test_a_head_is_anchored_again_once_its_anchor_is_old():
    ws = uuid4()
    anchors = FakeAnchors({ws: (2, "b" * 64)})
    events = RecordedEvents("audit")
    await anchor_heads(anchors, events, DAY)
    again = await anchor_heads(anchors, events, timedelta(0))
    assert [e.payload.seq for e in again] == [2]
    assert len(events.payloads(ChainAnchored)) == 2


async def test_the_check_names_anchors_the_trail_no_longer_matches():
    ws = uuid4()
    trail = FakeTrail()
    await append(trail, [(envelope("ledger.transaction.recorded", ws), None) for _ in range(2)])
    chains = FakeChains(trail.entries, trail.heads)
    second = trail.entries[1]
    kept = Anchor(ws, 2, second["hash"])
    rewritten = Anchor(ws, 1, "f" * 64)
    gone = Anchor(ws, 9, "e" * 64)
    failed = await check_anchors(chains, [kept, rewritten, gone])
    assert [(m.anchor, m.status) for m in failed] == [(rewritten, "differs"), (gone, "missing")]
    assert failed[0].stored.event_id == trail.entries[0]["event_id"]
