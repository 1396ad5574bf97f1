"""A batch of events in one transaction: applied once each, chained in order per workspace.

The archive, keyed by event id, is what tells an event new to audit from one it holds: a
redelivery in a later batch, or one by one after a batch, adds nothing."""

from uuid import uuid4

from sqlalchemy import func, select

from kasa_audit.consumers.every_event import handle, handle_many, parse
from kasa_audit.db.tables import ArchivedEvent, AuditEntry, metadata
from kasa_servicekit.testing import sqlite_database


async def test_a_batch_claims_each_event_once_and_chains_it(tmp_path, event):
    workspace = uuid4()
    bodies = [
        event("integrations.sync.started", {"sync_id": f"s{i}"}, workspace_id=workspace)
        for i in range(4)
    ]
    first = [(parse(b), "a" * 32) for b in bodies[:2]]
    second = [(parse(b), None) for b in [bodies[1], bodies[2], bodies[2], bodies[3]]]
    async with sqlite_database(tmp_path, metadata) as db:
        async with db.transaction() as session:
            assert await handle_many(session, first) == {e.event_id for e, _ in first}
        async with db.transaction() as session:
            applied = await handle_many(session, second)
        async with db.sessions() as session:
            entries = (await session.scalars(select(AuditEntry).order_by(AuditEntry.seq))).all()
            count = await session.scalar(select(func.count()).select_from(AuditEntry))
    assert applied == {second[1][0].event_id, second[3][0].event_id}
    assert count == 4
    assert [e.seq for e in entries] == [1, 2, 3, 4]
    assert [e.prev_hash for e in entries[1:]] == [e.hash for e in entries[:-1]]
    assert entries[0].trace_id == "a" * 32


async def test_an_event_a_batch_applied_is_not_chained_again_one_by_one(tmp_path, event):
    # A batch that fails is applied again one by one; the kit's inbox has no row for events
    # that an earlier batch applied, so the archive must be the one to refuse them.
    workspace = uuid4()
    envelope = parse(event("integrations.sync.started", {"sync_id": "s"}, workspace_id=workspace))
    async with sqlite_database(tmp_path, metadata) as db:
        async with db.transaction() as session:
            assert await handle_many(session, [(envelope, None)]) == {envelope.event_id}
        async with db.transaction() as session:
            await handle(session, envelope, None)  # type: ignore[arg-type]
        async with db.sessions() as session:
            entries = await session.scalar(select(func.count()).select_from(AuditEntry))
            archived = await session.scalar(select(func.count()).select_from(ArchivedEvent))
    assert (entries, archived) == (1, 1)
