"""A subscription binds its events' routing keys and hands each to the handler of its type."""

from datetime import date
from decimal import Decimal
from typing import Any
from uuid import uuid4

import pytest

from kasa_contracts import Envelope, RawEnvelope
from kasa_contracts.changes import FieldChange
from kasa_contracts.events.identity import UserRegistered
from kasa_contracts.events.integrations import TransactionImported, TransactionUpdated
from kasa_servicekit import inbox
from kasa_servicekit.consumers import Consumer, Subscription, handle_event
from kasa_servicekit.events import EventWriter

events = EventWriter("ledger")


def recorder(into: list[tuple[str, Envelope[Any]]], name: str):
    async def handle(session, event, events):
        into.append((name, event))

    return handle


def test_a_subscription_binds_exactly_the_routing_keys_of_its_event_types():
    noop = recorder([], "noop")
    sub = Subscription.of(
        "ledger.transactions", {TransactionImported: noop, TransactionUpdated: noop}
    )

    assert sub.routing_keys == (
        "integrations.transaction.imported.v1",
        "integrations.transaction.updated.v1",
    )


def test_a_subscription_needs_at_least_one_event_type():
    with pytest.raises(ValueError, match=r"ledger\.nothing"):
        Subscription.of("ledger.nothing", {})


def test_a_subscription_to_every_event_binds_everything():
    sub = Subscription.every_event(
        "audit.all", recorder([], "all"), parse=RawEnvelope.model_validate_json
    )

    assert sub.routing_keys == ("#",)


async def test_each_event_goes_to_the_handler_of_its_exact_type(db, exchange, published, imported):
    seen: list[tuple[str, Envelope[Any]]] = []
    sub = Subscription.of(
        "ledger.transactions",
        {
            TransactionImported: recorder(seen, "imported"),
            TransactionUpdated: recorder(seen, "updated"),
        },
    )
    consumer = Consumer(sub, db, events)
    base = imported().model_dump()
    change = {"amount": FieldChange(before="1234.50", after="1200.00")}
    updated = TransactionUpdated(**(base | {"amount": "1200.00", "changes": change}))
    first, first_message = published(imported())
    second, second_message = published(updated)

    await consumer.deliver(first_message, exchange)
    await consumer.deliver(second_message, exchange)

    assert [(name, event.event_id) for name, event in seen] == [
        ("imported", first.event_id),
        ("updated", second.event_id),
    ]
    assert exchange.published == []
    assert first_message.acks == second_message.acks == 1


async def test_the_handler_receives_the_typed_payload(db, exchange, published, imported):
    seen: list[tuple[str, Envelope[Any]]] = []
    consumer = Consumer(
        Subscription.of("ledger.transactions", {TransactionImported: recorder(seen, "imported")}),
        db,
        events,
    )
    _, message = published(imported(amount="99.90", booking_date="2026-02-01"))

    await consumer.deliver(message, exchange)

    [(_, event)] = seen
    assert type(event.payload) is TransactionImported
    assert event.payload.amount == Decimal("99.90")
    assert event.payload.booking_date == date(2026, 2, 1)
    assert event.producer == "integrations"


async def test_a_subtype_is_not_handed_to_the_handler_of_its_parent(
    db, exchange, published, imported
):
    seen: list[tuple[str, Envelope[Any]]] = []
    sub = Subscription.of("ledger.transactions", {TransactionImported: recorder(seen, "imported")})
    updated = TransactionUpdated(**imported().model_dump())
    envelope, _ = published(updated)

    with pytest.raises(LookupError):
        await handle_event(db, sub, envelope, events)

    assert seen == []
    async with db.transaction() as session:
        # The failed delivery left no claim: once wired, the event is still handled.
        assert await inbox.claim(session, "ledger.transactions", envelope.event_id)


async def test_a_subscription_to_every_event_hands_it_over_as_published(db, exchange, published):
    seen: list[tuple[str, Envelope[Any]]] = []
    sub = Subscription.every_event(
        "audit.all", recorder(seen, "all"), parse=RawEnvelope.model_validate_json
    )
    envelope, message = published(UserRegistered(user_id=uuid4(), name="Eva", workspace_name="E"))

    await Consumer(sub, db, events).deliver(message, exchange)

    [(_, event)] = seen
    assert event.event_id == envelope.event_id
    assert event.payload == {
        "user_id": str(envelope.payload.user_id),
        "name": "Eva",
        "workspace_name": "E",
        "address": None,
        "user_agent": None,
    }
