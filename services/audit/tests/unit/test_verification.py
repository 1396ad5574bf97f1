"""Verifying chains from what the trail stores: intact, edited, cut short."""

from uuid import uuid4

from kasa_audit.app.trail import append
from kasa_audit.app.verification import verify_workspace, verify_workspaces

from .conftest import FakeChains, FakeTrail, envelope


async def trail_of(*workspaces, n=3):
    trail = FakeTrail()
    for ws in workspaces:
        await append(trail, [(envelope("ledger.transaction.recorded", ws), None) for _ in range(n)])
    return trail


async def test_an_intact_chain_verifies_to_its_head():
    ws = uuid4()
    trail = await trail_of(ws)
    walk = await verify_workspace(FakeChains(trail.entries, trail.heads), ws)
    assert (walk.ok, walk.checked) == (True, 3)


async def test_an_edited_entry_is_named():
    ws = uuid4()
    trail = await trail_of(ws)
    trail.entries[1]["actor_id"] = "someone-else"
    walk = await verify_workspace(FakeChains(trail.entries, trail.heads), ws)
    assert not walk.ok
    assert (walk.broken.seq, walk.broken.reason) == (2, "content does not match its hash")
    assert walk.broken.event_id == trail.entries[1]["event_id"]


async def test_a_removed_tail_shows_against_the_head():
    ws = uuid4()
    trail = await trail_of(ws)
    walk = await verify_workspace(FakeChains(trail.entries[:2], trail.heads), ws)
    assert (walk.ok, walk.broken.seq, walk.broken.reason) == (False, 3, "missing")


async def test_without_a_workspace_every_trail_is_verified():
    a, b = uuid4(), uuid4()
    trail = await trail_of(a, b, n=2)
    walks = await verify_workspaces(FakeChains(trail.entries, trail.heads), None)
    assert {ws: w.checked for ws, w in walks.items()} == {a: 2, b: 2}
    assert list(await verify_workspaces(FakeChains([], {}), a)) == [a]
