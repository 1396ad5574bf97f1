"""A message that fails is retried after a delay, then parked; none is acked unhandled."""

from uuid import uuid4

import pytest

from kasa_contracts.events.identity import UserRegistered
from kasa_contracts.events.integrations import TransactionImported
from kasa_servicekit.consumers import Consumer, Subscription
from kasa_servicekit.events import EventWriter

QUEUE = "ledger.transactions"
events = EventWriter("ledger")


@pytest.fixture
def applied() -> list:
    return []


@pytest.fixture
def failures() -> list[Exception]:
    """Errors the handler raises, one per delivery, before it starts to succeed."""
    return []


@pytest.fixture
def consumer(db, applied, failures) -> Consumer:
    async def book(session, event, events):
        if failures:
            raise failures.pop(0)
        applied.append(event.payload.external_id)

    return Consumer(Subscription.of(QUEUE, {TransactionImported: book}), db, events, max_attempts=3)


async def test_a_failing_handler_sends_the_message_to_retry_with_the_attempt_and_error(
    consumer, exchange, published, failures, applied
):
    failures.append(RuntimeError("ledger database is down"))
    _, message = published()

    await consumer.deliver(message, exchange)

    [(target, copy)] = exchange.published
    assert target == "ledger.transactions.retries"
    assert copy.body == message.body and copy.message_id == message.message_id
    assert copy.headers["x-attempt"] == 1
    assert copy.headers["x-error"] == "RuntimeError: ledger database is down"
    assert copy.headers["x-original-queue"] == QUEUE
    assert copy.headers["x-original-routing-key"] == "integrations.transaction.imported.v1"
    assert "x-failed-at" in copy.headers
    assert message.acks == 1  # only after the copy was handed over
    assert applied == []


async def test_a_retry_copy_the_broker_returns_keeps_the_original_in_the_queue(
    consumer, exchange, published, failures, applied, monkeypatch
):
    # The retry queue's broker node is away: the broker returns the copy instead of storing it.
    monkeypatch.setattr("kasa_servicekit.consumers.FORWARD_REFUSED_PAUSE_S", 0)
    failures.append(RuntimeError("ledger database is down"))
    exchange.returning = True
    _, message = published()

    await consumer.deliver(message, exchange)

    assert exchange.published == []
    assert message.acks == 0, "acked, it would be lost: no copy holds it"
    assert message.requeued == 1, "given back to its queue, to be delivered again"
    assert applied == []


async def test_a_retried_message_that_succeeds_is_applied_once_and_acked(
    consumer, exchange, published, failures, applied
):
    failures.append(RuntimeError("deadlock"))
    _, message = published()
    await consumer.deliver(message, exchange)

    again = exchange.redeliver()
    await consumer.deliver(again, exchange)

    assert exchange.targets == ["ledger.transactions.retries"]
    assert again.acks == 1
    assert applied == ["tx-1"]


async def test_the_attempt_count_grows_until_the_message_is_parked(
    consumer, exchange, published, failures, applied
):
    failures.extend(RuntimeError(f"failure {n}") for n in range(1, 10))
    _, message = published()

    await consumer.deliver(message, exchange)
    while exchange.targets[-1].endswith(".retries"):
        await consumer.deliver(exchange.redeliver(), exchange)

    assert exchange.targets == [
        "ledger.transactions.retries",
        "ledger.transactions.retries",
        "ledger.transactions.parked",
    ]
    attempts = [copy.headers["x-attempt"] for _, copy in exchange.published]
    assert attempts == [1, 2, 3]
    assert exchange.published[-1][1].headers["x-error"] == "RuntimeError: failure 3"
    assert applied == []


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b'{"event_type": "nobody.knows.this", "event_version": 1}',
        b'{"event_type": "integrations.transaction.imported", "event_version": 1}',
    ],
    ids=["not json", "unknown event type", "invalid envelope"],
)
async def test_an_unreadable_message_is_parked_at_once(
    consumer, exchange, published, applied, body
):
    _, message = published()
    message.body = body

    await consumer.deliver(message, exchange)

    [(target, copy)] = exchange.published
    assert target == "ledger.transactions.parked"
    assert copy.headers["x-attempt"] == 1 and copy.body == body
    assert message.acks == 1
    assert applied == []


async def test_an_event_without_a_handler_is_parked_with_the_reason(
    consumer, exchange, published, applied
):
    # e.g. a replay or a binding added by hand delivers an event the queue has no handler for
    _, message = published(UserRegistered(user_id=uuid4(), name="Eva", workspace_name="Eva"))

    await consumer.deliver(message, exchange)

    # Waiting would not give the queue a handler: parked on the first attempt, not retried.
    assert exchange.targets == ["ledger.transactions.parked"]
    _, parked = exchange.published[-1]
    assert parked.headers["x-error"].startswith(
        "NoHandlerError: ledger.transactions has no handler"
    )
    assert applied == []
