"""The relay publishes committed outbox rows, in order, and never loses one the broker refused."""

import asyncio
from datetime import timedelta
from uuid import uuid4

import pytest
from sqlalchemy import select, update

from kasa_contracts import Actor
from kasa_contracts.events.identity import UserRegistered
from kasa_servicekit.bus import OutgoingMessage
from kasa_servicekit.db import utcnow
from kasa_servicekit.events import At, EventWriter
from kasa_servicekit.outbox import OutboxRelay, backlog
from kasa_servicekit.tables import outbox

events = EventWriter("gateway")
ORIGIN = At(uuid4(), Actor(type="user", id="u1"))


class FakeBus:
    """The relay's view of the broker: ``ready`` and a confirmed ``publish``."""

    def __init__(self) -> None:
        self.ready = asyncio.Event()
        self.ready.set()
        self.published: list[OutgoingMessage] = []
        self.refuse: Exception | None = None

    async def publish(self, messages: list[OutgoingMessage]) -> None:
        if self.refuse is not None:
            raise self.refuse
        self.published.extend(messages)


@pytest.fixture
def bus() -> FakeBus:
    return FakeBus()


def registered(name: str) -> UserRegistered:
    return UserRegistered(user_id=uuid4(), name=name, workspace_name=f"{name}'s")


async def write(db, *names: str) -> list:
    """Each name's event in its own committed transaction; their envelopes."""
    envelopes = []
    for name in names:
        async with db.transaction() as session:
            envelopes += await events.write(session, registered(name), on=ORIGIN)
    return envelopes


async def rows(db) -> list:
    async with db.sessions() as session:
        return list((await session.execute(select(outbox).order_by(outbox.c.id))).all())


async def test_committed_events_are_published_in_the_order_written_and_marked(db, bus):
    written = await write(db, "Eva", "Jan", "Ota")
    relay = OutboxRelay(db, bus)

    assert await relay.publish_batch() == 3

    assert [m.message_id for m in bus.published] == [e.event_id for e in written]
    first = bus.published[0]
    assert first.routing_key == "identity.user.registered.v1"
    assert first.body == written[0].model_dump_json().encode()
    assert all(r.published_at is not None and r.claimed_until is None for r in await rows(db))
    assert await backlog(db) == (0, None)
    assert await relay.publish_batch() == 0
    assert len(bus.published) == 3


async def test_a_batch_holds_at_most_batch_size_events_the_oldest_first(db, bus):
    written = await write(db, "Eva", "Jan", "Ota")
    relay = OutboxRelay(db, bus, batch_size=2)

    assert await relay.publish_batch() == 2
    assert [m.message_id for m in bus.published] == [e.event_id for e in written[:2]]
    assert await relay.publish_batch() == 1
    assert bus.published[-1].message_id == written[2].event_id


async def test_a_refused_publish_releases_the_claim_so_the_next_pass_publishes(db, bus):
    written = await write(db, "Eva", "Jan")
    relay = OutboxRelay(db, bus)
    bus.refuse = ConnectionError("broker went away")

    with pytest.raises(ConnectionError):
        await relay.publish_batch()

    refused = await rows(db)
    assert all(r.published_at is None and r.claimed_until is None for r in refused)
    assert {r.last_error for r in refused} == {"ConnectionError: broker went away"}
    assert (await backlog(db))[0] == 2

    bus.refuse = None
    assert await relay.publish_batch() == 2

    assert [m.message_id for m in bus.published] == [e.event_id for e in written]
    published = await rows(db)
    assert all(r.published_at is not None and r.last_error is None for r in published)
    assert [r.attempts for r in published] == [2, 2]


async def test_events_of_a_rolled_back_transaction_are_never_published(db, bus):
    with pytest.raises(RuntimeError):
        async with db.transaction() as session:
            await events.write(session, registered("Eva"), on=ORIGIN)
            raise RuntimeError("the change failed")

    assert await OutboxRelay(db, bus).publish_batch() == 0
    assert bus.published == []
    assert await rows(db) == []


async def test_pruning_deletes_only_published_events_older_than_the_retention(db, bus):
    old, recent, waiting = await write(db, "old", "recent", "waiting")
    relay = OutboxRelay(db, bus, retention=timedelta(days=7))
    await relay.publish_batch()
    async with db.transaction() as session:
        long_ago = utcnow() - timedelta(days=8)
        await session.execute(
            update(outbox).where(outbox.c.id == old.event_id).values(published_at=long_ago)
        )
        await session.execute(
            update(outbox)
            .where(outbox.c.id == waiting.event_id)
            .values(published_at=None, created_at=long_ago)
        )

    assert await relay.prune() == 1

    assert [r.id for r in await rows(db)] == [recent.event_id, waiting.event_id]
