from uuid import uuid4

import pytest
from sqlalchemy import func, select

from kasa_contracts import Actor, Envelope
from kasa_contracts.events.identity import UserRegistered
from kasa_servicekit import inbox
from kasa_servicekit.consumers import Subscription, handle_event
from kasa_servicekit.context import correlation_id_var
from kasa_servicekit.db import utcnow
from kasa_servicekit.events import At, EventWriter
from kasa_servicekit.tables import outbox

gateway = EventWriter("gateway")
ledger = EventWriter("ledger")


def user_registered() -> UserRegistered:
    return UserRegistered(user_id=uuid4(), name="Eva", workspace_name="Eva s.r.o.")


def registered() -> Envelope:
    return gateway.envelope(user_registered(), At(uuid4(), Actor(type="user", id="u1")))


async def test_claim_is_true_once_per_consumer(db):
    event_id = uuid4()
    async with db.transaction() as session:
        assert await inbox.claim(session, "ledger.transactions", event_id)
        assert not await inbox.claim(session, "ledger.transactions", event_id)
        assert await inbox.claim(session, "audit.all", event_id)


async def test_claim_many_returns_only_the_ids_not_claimed_before(db):
    seen, new = uuid4(), uuid4()
    async with db.transaction() as session:
        assert await inbox.claim(session, "ledger.transactions", seen)
        claimed = await inbox.claim_many(session, "ledger.transactions", [seen, new, new])
    assert claimed == {new}


async def test_a_handled_event_is_not_applied_again(db):
    applied = []

    async def handler(session, event, events):
        applied.append(event.event_id)

    sub = Subscription.of("test.queue", {UserRegistered: handler})
    event = registered()
    assert await handle_event(db, sub, event, ledger) is True
    assert await handle_event(db, sub, event, ledger) is False
    assert applied == [event.event_id]


async def test_a_failing_handler_leaves_no_claim_and_no_effect(db):
    calls = 0

    async def handler(session, event, events):
        nonlocal calls
        calls += 1
        await events.write(session, user_registered(), on=event)
        if calls == 1:
            raise RuntimeError("database hiccup")

    sub = Subscription.of("test.queue", {UserRegistered: handler})
    event = registered()
    with pytest.raises(RuntimeError):
        await handle_event(db, sub, event, ledger)
    async with db.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(outbox)) == 0
    assert await handle_event(db, sub, event, ledger) is True
    async with db.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(outbox)) == 1


async def test_events_carry_the_chain_they_belong_to(db):
    async def handler(session, event, events):
        await events.write(session, user_registered(), on=event)

    token = correlation_id_var.set("sync-run-1")
    try:
        cause = registered()
    finally:
        correlation_id_var.reset(token)
    await handle_event(db, Subscription.of("test.queue", {UserRegistered: handler}), cause, ledger)
    async with db.sessions() as session:
        row = (await session.execute(select(outbox))).one()
    written = Envelope.model_validate_json(row.body)
    assert written.causation_id == cause.event_id
    assert written.correlation_id == "sync-run-1"
    assert (written.producer, written.workspace_id, written.actor) == (
        "ledger",
        cause.workspace_id,
        cause.actor,
    )
    assert row.published_at is None and row.created_at <= utcnow()
