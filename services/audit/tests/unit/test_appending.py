"""Appending to the trail: every envelope archived, each event chained onto its workspace."""

from uuid import uuid4

from kasa_audit.app.trail import append
from kasa_audit.domain.chain import GENESIS, HASHED_FIELDS, link

from .conftest import FakeTrail, envelope

IMPORTED = "integrations.transaction.imported"


async def test_each_workspace_gets_its_own_unbroken_chain():
    a, b = uuid4(), uuid4()
    events = [envelope(IMPORTED, ws, {"external_id": f"x{i}"}) for i, ws in enumerate([a, b, a])]
    trail = FakeTrail()
    await append(trail, [(e, "f" * 32) for e in events])
    assert [r["event_id"] for r in trail.archived] == [e.event_id for e in events]
    chain_a = [r for r in trail.entries if r["workspace_id"] == a]
    assert [(r["seq"], r["prev_hash"]) for r in chain_a] == [
        (1, GENESIS),
        (2, chain_a[0]["hash"]),
    ]
    assert trail.heads == {a: (2, chain_a[1]["hash"]), b: (1, trail.entries[1]["hash"])}
    assert trail.locked == [sorted({a, b})], "the heads are locked once, in one order"


async def test_each_entry_hashes_its_fields_after_the_previous_hash():
    trail = FakeTrail()
    event = envelope(IMPORTED, uuid4(), {"external_id": "x1", "plugin": "fio"})
    await append(trail, [(event, None)])
    [entry] = trail.entries
    assert entry["hash"] == link(entry["prev_hash"], {k: entry[k] for k in HASHED_FIELDS})
    assert (entry["entity_id"], entry["source_plugin"], entry["trace_id"]) == ("x1", "fio", None)
    assert (entry["actor_type"], entry["service"]) == ("plugin", "integrations")


async def test_a_later_batch_continues_the_chain_where_the_head_is():
    ws = uuid4()
    trail = FakeTrail()
    await append(trail, [(envelope(IMPORTED, ws), None)])
    await append(trail, [(envelope(IMPORTED, ws), None)])
    first, second = trail.entries
    assert (second["seq"], second["prev_hash"]) == (2, first["hash"])


async def test_audits_own_anchors_are_archived_but_not_chained():
    ws = uuid4()
    anchor = envelope("audit.chain.anchored", ws, {"workspace_id": str(ws), "seq": 3, "hash": "h"})
    trail = FakeTrail()
    await append(trail, [(anchor, None)])
    assert [r["routing_key"] for r in trail.archived] == ["audit.chain.anchored.v1"]
    assert trail.entries == [] and trail.heads == {}


async def test_nothing_to_append_touches_nothing():
    trail = FakeTrail()
    await append(trail, [])
    assert (trail.archived, trail.locked) == ([], [])


async def test_an_event_already_archived_is_neither_archived_nor_chained_again():
    ws = uuid4()
    first, second = envelope(IMPORTED, ws), envelope(IMPORTED, ws)
    trail = FakeTrail()
    assert await append(trail, [(first, None)]) == {first.event_id}
    assert await append(trail, [(first, None), (second, None)]) == {second.event_id}
    assert [r["event_id"] for r in trail.archived] == [first.event_id, second.event_id]
    assert [(r["event_id"], r["seq"]) for r in trail.entries] == [
        (first.event_id, 1),
        (second.event_id, 2),
    ]
