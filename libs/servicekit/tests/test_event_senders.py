"""Who published an event: the broker-validated ``user_id`` must be its owner's broker user.

The broker refuses a ``user_id`` that is not the publishing connection's user, so these tests
give each message the ``user_id`` the broker would have let through for its publisher.
"""

from uuid import uuid4

import pytest
from prometheus_client import REGISTRY

from kasa_contracts.events.integrations import TransactionImported
from kasa_servicekit.bus import Bus, OutgoingMessage, broker_user
from kasa_servicekit.consumers import (
    SENDER_HEADER,
    BatchingConsumer,
    Consumer,
    InstanceConsumer,
    InstanceSubscription,
    SenderPolicy,
    Subscription,
    owner_of,
)
from kasa_servicekit.events import EventWriter
from kasa_servicekit.settings import ServiceSettings
from kasa_servicekit.topology import QueuePolicy

QUEUE = "ledger.transactions"
events = EventWriter("ledger")
POLICY = SenderPolicy("kasa-ledger", lambda producer: f"kasa-{producer}", "kasa-ops")


def refused(queue: str) -> float:
    labels = {"queue": queue, "outcome": "refused"}
    return REGISTRY.get_sample_value("kasa_events_consumed_total", labels) or 0.0


@pytest.fixture
def applied() -> list[str]:
    return []


@pytest.fixture
def failures() -> list[Exception]:
    return []


@pytest.fixture
def consumer(db, applied, failures) -> Consumer:
    async def book(session, event, events):
        if failures:
            raise failures.pop(0)
        applied.append(event.payload.external_id)

    subscription = Subscription.of(QUEUE, {TransactionImported: book})
    return Consumer(subscription, db, events, max_attempts=3, senders=POLICY)


def test_the_bus_publishes_as_the_broker_user_of_its_url():
    bus = Bus("amqp://kasa-ledger:s3cret@broker:5672/kasa", QueuePolicy())
    message = OutgoingMessage(message_id=uuid4(), routing_key="ledger.x.v1", body=b"{}")

    assert bus.user == "kasa-ledger"
    assert message.properties(bus.user).user_id == "kasa-ledger"
    assert broker_user("amqp://kasa%2Dops:x@h/") == "kasa-ops"
    assert broker_user("amqp://h:5672/") is None


def test_every_event_type_has_an_owner_and_identity_belongs_to_the_gateway():
    assert owner_of("ledger.payment.matched.v1") == "ledger"
    assert owner_of("identity.user.registered.v1") == "gateway"
    # Not (yet) in the catalog: the owner of its prefix, as the broker's topic permissions say.
    assert owner_of("ledger.something.new.v7") == "ledger"
    assert owner_of("nobody.knows.this.v1") is None


async def test_an_event_from_its_owners_broker_user_is_applied(
    consumer, exchange, published, applied
):
    _, message = published(user_id="kasa-integrations")

    await consumer.deliver(message, exchange)

    assert applied == ["tx-1"] and exchange.published == [] and message.acks == 1


@pytest.mark.parametrize("forger", ["kasa-invoicing", "kasa-audit", "kasa-ledger", None])
async def test_an_event_from_another_broker_user_is_parked_at_once(
    consumer, exchange, published, applied, forger
):
    before = refused(QUEUE)
    _, message = published(user_id=forger)

    await consumer.deliver(message, exchange)

    [(target, copy)] = exchange.published
    assert target == "ledger.transactions.parked"
    assert copy.headers["x-error"].startswith("UntrustedSenderError")
    assert SENDER_HEADER not in copy.headers, "a refused event is never marked as accepted"
    assert copy.user_id == "kasa-ledger", "the copy is published as the consumer itself"
    assert applied == [] and message.acks == 1
    assert refused(QUEUE) == before + 1


async def test_an_envelope_that_names_another_producer_is_parked(
    consumer, exchange, published, applied
):
    # The right broker user, but a body that claims to come from someone else.
    _, message = published(user_id="kasa-integrations", producer="ledger")

    await consumer.deliver(message, exchange)

    assert exchange.targets == ["ledger.transactions.parked"] and applied == []


async def test_a_retry_copy_keeps_the_accepted_sender_and_is_applied_on_return(
    consumer, exchange, published, applied, failures
):
    failures.append(RuntimeError("deadlock"))
    _, message = published(user_id="kasa-integrations")

    await consumer.deliver(message, exchange)
    [(target, copy)] = exchange.published
    assert target == "ledger.transactions.retries"
    assert (copy.user_id, copy.headers[SENDER_HEADER]) == ("kasa-ledger", "kasa-integrations")

    await consumer.deliver(exchange.redeliver(), exchange)
    assert applied == ["tx-1"]


async def test_a_forged_copy_claiming_to_be_accepted_is_still_refused(
    consumer, exchange, published, applied
):
    _, message = published(
        headers={SENDER_HEADER: "kasa-integrations"}, user_id="kasa-invoicing", exchange=""
    )

    await consumer.deliver(message, exchange)

    assert exchange.targets == ["ledger.transactions.parked"] and applied == []


async def test_the_replay_user_is_accepted_only_through_the_replay_exchange(
    consumer, exchange, published, applied
):
    _, replayed = published(user_id="kasa-ops", exchange="kasa.replay")
    await consumer.deliver(replayed, exchange)
    assert applied == ["tx-1"]

    _, direct = published(user_id="kasa-ops", exchange="kasa.events")
    await consumer.deliver(direct, exchange)
    assert exchange.targets == ["ledger.transactions.parked"] and applied == ["tx-1"]


async def test_a_batch_applies_the_genuine_events_and_parks_the_forged_one(
    db, exchange, published, imported, applied
):
    async def book(session, event, events):
        applied.append(event.payload.external_id)

    subscription = Subscription.of(QUEUE, {TransactionImported: book}, batch_size=10)
    consumer = BatchingConsumer(subscription, db, events, senders=POLICY)
    messages = [
        published(imported("tx-1"), user_id="kasa-integrations")[1],
        published(imported("tx-forged"), user_id="kasa-invoicing")[1],
        published(imported("tx-2"), user_id="kasa-integrations")[1],
    ]

    await consumer.deliver_batch(messages, exchange)

    assert sorted(applied) == ["tx-1", "tx-2"]
    assert exchange.targets == ["ledger.transactions.parked"]
    assert all(m.acks == 1 for m in messages)


async def test_an_instance_consumer_drops_a_forged_event(published):
    pushed: list[str] = []

    async def push(envelope):
        pushed.append(envelope.payload.external_id)

    subscription = InstanceSubscription("gateway.push", ("integrations.#",), push)
    consumer = InstanceConsumer(subscription, senders=POLICY)

    await consumer.deliver(published(user_id="kasa-invoicing")[1])
    await consumer.deliver(published(user_id="kasa-integrations")[1])

    assert pushed == ["tx-1"]


async def test_with_the_check_off_any_sender_is_applied(db, exchange, published, applied):
    async def book(session, event, events):
        applied.append(event.payload.external_id)

    consumer = Consumer(Subscription.of(QUEUE, {TransactionImported: book}), db, events)

    await consumer.deliver(published(user_id=None)[1], exchange)

    assert applied == ["tx-1"]


def test_production_keeps_the_sender_check_on(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgresql+asyncpg://ledger:Xy7-long-pass@db/kasa")
    monkeypatch.setenv("KASA_ENV", "production")
    monkeypatch.setenv("AMQP_URL", "amqp://kasa-ledger:s3cret@broker:5672/")
    monkeypatch.setenv("OPS_TOKEN", "o" * 32)
    monkeypatch.setenv("EVENT_SENDER_CHECK", "false")
    with pytest.raises(ValueError, match="EVENT_SENDER_CHECK"):
        ServiceSettings()
    monkeypatch.setenv("EVENT_SENDER_CHECK", "true")
    settings = ServiceSettings()
    assert settings.broker_user("ledger") == "kasa-ledger"
