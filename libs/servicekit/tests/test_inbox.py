from uuid import uuid4

import pytest
from sqlalchemy import func, select

from kasa_contracts import Actor, Envelope
from kasa_contracts.events.identity import UserRegistered
from kasa_servicekit import inbox
from kasa_servicekit.consumers import Subscription, handle_event
from kasa_servicekit.db import utcnow
from kasa_servicekit.outbox import add_events, make_envelope
from kasa_servicekit.tables import outbox


def registered() -> Envelope:
    payload = UserRegistered(user_id=uuid4(), name="Eva", workspace_name="Eva s.r.o.")
    return make_envelope(
        payload, producer="gateway", workspace_id=uuid4(), actor=Actor(type="user", id="u1")
    )


async def test_claim_is_true_once_per_consumer(db):
    event_id = uuid4()
    async with db.transaction() as session:
        assert await inbox.claim(session, "ledger.transactions", event_id)
        assert not await inbox.claim(session, "ledger.transactions", event_id)
        assert await inbox.claim(session, "audit.all", event_id)


async def test_a_handled_event_is_not_applied_again(db):
    applied = []

    async def handler(session, event):
        applied.append(event.event_id)

    sub = Subscription("test.queue", ("#",), handler)
    event = registered()
    assert await handle_event(db, sub, event) is True
    assert await handle_event(db, sub, event) is False
    assert applied == [event.event_id]


async def test_a_failing_handler_leaves_no_claim_and_no_effect(db):
    calls = 0

    async def handler(session, event):
        nonlocal calls
        calls += 1
        await add_events(session, [registered()])
        if calls == 1:
            raise RuntimeError("database hiccup")

    sub = Subscription("test.queue", ("#",), handler)
    event = registered()
    with pytest.raises(RuntimeError):
        await handle_event(db, sub, event)
    async with db.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(outbox)) == 0
    assert await handle_event(db, sub, event) is True
    async with db.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(outbox)) == 1


async def test_events_carry_the_chain_they_belong_to(db):
    async def handler(session, event):
        await add_events(session, [registered()])

    cause = registered()
    await handle_event(db, Subscription("test.queue", ("#",), handler), cause)
    async with db.sessions() as session:
        row = (await session.execute(select(outbox))).one()
    written = Envelope.model_validate_json(row.body)
    assert written.causation_id == cause.event_id
    assert row.published_at is None and row.created_at <= utcnow()
