"""Batches: many delivered messages in one transaction, and the one-by-one path when it fails."""

from prometheus_client import REGISTRY
from sqlalchemy import select

from kasa_contracts import parse_envelope
from kasa_contracts.events.integrations import TransactionImported
from kasa_servicekit import inbox
from kasa_servicekit.consumers import BatchingConsumer, Consumer, Subscription, consumer_for
from kasa_servicekit.events import EventWriter, Pending
from kasa_servicekit.tables import outbox

events = EventWriter("ledger")
POISON = "tx-poison"


def consumed(queue: str, outcome: str) -> float:
    labels = {"queue": queue, "outcome": outcome}
    return REGISTRY.get_sample_value("kasa_events_consumed_total", labels) or 0.0


async def written(db) -> list[str]:
    """The external ids of the events the handlers committed, in the order written."""
    async with db.sessions() as session:
        bodies = (await session.scalars(select(outbox.c.body).order_by(outbox.c.id))).all()
    return [parse_envelope(body).payload.external_id for body in bodies]


async def book(session, event, events):
    """Books a transaction (its effect: an event in the outbox); one of them cannot be booked."""
    await events.write(session, event.payload, on=event)
    if event.payload.external_id == POISON:
        raise ValueError("cannot book this one")


def subscription(queue: str, **options) -> Subscription:
    return Subscription.of(queue, {TransactionImported: book}, batch_size=10, **options)


def test_a_batch_size_above_one_makes_a_batching_consumer(db):
    assert type(consumer_for(subscription("ledger.a"), db, events)) is BatchingConsumer
    single = Subscription.of("ledger.b", {TransactionImported: book})
    assert type(consumer_for(single, db, events, max_attempts=2)) is Consumer


async def test_a_batch_is_applied_in_one_transaction_and_each_message_acked(
    db, exchange, published, imported
):
    sessions = []

    async def record(session, event, events):
        sessions.append(session)
        await book(session, event, events)

    sub = Subscription.of("ledger.batch", {TransactionImported: record}, batch_size=10)
    delivered = [published(imported(f"tx-{n}")) for n in range(3)]

    await consumer_for(sub, db, events).deliver_batch([m for _, m in delivered], exchange)

    assert len(set(map(id, sessions))) == 1
    assert await written(db) == ["tx-0", "tx-1", "tx-2"]
    assert [m.acks for _, m in delivered] == [1, 1, 1]
    assert exchange.published == []


async def test_a_failed_batch_commits_nothing_and_only_the_bad_message_is_retried(
    db, exchange, published, imported
):
    consumer = consumer_for(subscription("ledger.fallback"), db, events, max_attempts=3)
    delivered = [published(imported(ext)) for ext in ("tx-1", POISON, "tx-3")]

    await consumer.deliver_batch([m for _, m in delivered], exchange)

    # The good events were applied once, one by one; the batch's own writes rolled back.
    assert await written(db) == ["tx-1", "tx-3"]
    [(target, copy)] = exchange.published
    assert target == "ledger.fallback.retries"
    assert copy.message_id == str(delivered[1][0].event_id)
    assert copy.headers["x-error"] == "ValueError: cannot book this one"
    assert [m.acks for _, m in delivered] == [1, 1, 1]


async def test_a_failing_batch_handler_falls_back_to_each_events_own_handler(
    db, exchange, published, imported
):
    calls = []

    async def book_all(session, subscription, delivered, events):
        calls.append(len(delivered))
        ids = [e.event_id for e, _ in delivered]
        claimed = await inbox.claim_many(session, subscription.queue, ids)
        await events.write_all(session, [Pending(e.payload, e, ctx) for e, ctx in delivered])
        if any(e.payload.external_id == POISON for e, _ in delivered):
            raise ValueError("cannot book this one")
        return claimed

    consumer = consumer_for(subscription("ledger.sets", batch_handler=book_all), db, events)
    delivered = [published(imported(ext)) for ext in (POISON, "tx-2")]

    await consumer.deliver_batch([m for _, m in delivered], exchange)

    assert calls == [2]
    assert await written(db) == ["tx-2"]
    assert exchange.targets == ["ledger.sets.retries"]


async def test_the_last_attempt_of_a_bad_message_in_a_batch_parks_it(
    db, exchange, published, imported
):
    consumer = consumer_for(subscription("ledger.last"), db, events, max_attempts=2)
    _, good = published(imported("tx-1"))
    _, bad = published(imported(POISON), headers={"x-attempt": 1})

    await consumer.deliver_batch([good, bad], exchange)

    assert exchange.targets == ["ledger.last.parked"]
    assert exchange.published[0][1].headers["x-attempt"] == 2
    assert await written(db) == ["tx-1"]


async def test_duplicates_in_a_batch_are_acked_as_duplicates(db, exchange, published, imported):
    queue = "ledger.duplicates"
    consumer = consumer_for(subscription(queue), db, events)
    _, seen_before = published(imported("tx-1"))
    await consumer.deliver(seen_before, exchange)
    again = seen_before.redelivered()
    _, fresh = published(imported("tx-2"))
    once = published(imported("tx-3"))[1]
    twice = [once, once.redelivered()]
    handled, duplicates = consumed(queue, "handled"), consumed(queue, "duplicate")

    await consumer.deliver_batch([again, fresh, *twice], exchange)

    assert await written(db) == ["tx-1", "tx-2", "tx-3"]
    assert all(m.acks == 1 for m in (seen_before, again, fresh, *twice))
    assert consumed(queue, "handled") - handled == 2
    assert consumed(queue, "duplicate") - duplicates == 2
    assert exchange.published == []


async def test_an_unreadable_message_in_a_batch_is_parked_and_the_rest_applied(
    db, exchange, published, imported
):
    consumer = consumer_for(subscription("ledger.unreadable"), db, events)
    _, good = published(imported("tx-1"))
    _, broken = published(imported("tx-2"))
    broken.body = b"{"

    await consumer.deliver_batch([broken, good], exchange)

    assert exchange.targets == ["ledger.unreadable.parked"]
    assert await written(db) == ["tx-1"]
    assert (broken.acks, good.acks) == (1, 1)
