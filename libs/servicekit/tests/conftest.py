from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from types import SimpleNamespace
from typing import Any
from uuid import uuid4

import aio_pika
import pytest
import pytest_asyncio
from pamqp.commands import Basic

from kasa_contracts import Actor, Envelope, EventPayload
from kasa_contracts.events.integrations import BankAccountRef, TransactionImported
from kasa_servicekit.db import Database
from kasa_servicekit.events import At, EventWriter
from kasa_servicekit.tables import kit_metadata


@pytest_asyncio.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    """A real SQLite database with the outbox and inbox tables."""
    database = Database(f"sqlite+aiosqlite:///{tmp_path}/kit.db")
    async with database.engine.begin() as conn:
        await conn.run_sync(kit_metadata.create_all)
    yield database
    await database.dispose()


@dataclass
class FakeMessage:
    """An incoming AMQP message: just what the consumers read and call."""

    body: bytes
    headers: dict[str, Any] = field(default_factory=dict)
    message_id: str | None = None
    routing_key: str | None = None
    type: str | None = None
    correlation_id: str | None = None
    timestamp: Any = None
    content_type: str | None = "application/json"
    user_id: str | None = None
    """The publisher's broker user, as the broker validated it."""
    exchange: str | None = "kasa.events"
    acks: int = 0
    requeued: int = 0
    """How often the consumer gave it back to the queue (``nack`` with ``requeue``)."""
    channel: "FakeChannel | None" = None
    delivery_tag: int = 0

    async def ack(self, multiple: bool = False) -> None:
        """As the broker acks: this delivery, or with ``multiple`` every unacked one of the
        channel up to it. Acking a delivery twice is an error, as on a real channel."""
        if not multiple or self.channel is None:
            assert not self.acks, f"delivery {self.delivery_tag} acked twice"
            self.acks += 1
            return
        for message in self.channel.delivered:
            if message.delivery_tag <= self.delivery_tag and not message.acks:
                message.acks += 1

    async def nack(self, requeue: bool = True) -> None:
        assert requeue, "a consumer gives messages back; it never drops them"
        assert not self.acks, f"delivery {self.delivery_tag} settled twice"
        self.requeued += 1

    def redelivered(self) -> "FakeMessage":
        """The same message delivered again, under a delivery tag of its own."""
        assert self.channel is not None
        return self.channel.deliver(replace(self, acks=0))


@dataclass
class FakeChannel:
    """The deliveries of one consumer's channel, in order, for acks with ``multiple``."""

    delivered: list[FakeMessage] = field(default_factory=list)

    def deliver(self, message: FakeMessage) -> FakeMessage:
        message.channel, message.delivery_tag = self, len(self.delivered) + 1
        self.delivered.append(message)
        return message


@dataclass
class FakeExchange:
    """The default exchange: records what the consumer forwards to the retry or parking queue."""

    published: list[tuple[str, aio_pika.Message]] = field(default_factory=list)
    returning: bool = False
    """The broker returns what is published (its target queue cannot take it now)."""

    async def publish(
        self, message: aio_pika.Message, routing_key: str, mandatory: bool = False
    ) -> Any:
        assert mandatory, "a forwarded message must not vanish unrouted"
        if self.returning:
            # What aio-pika answers for a returned message on a channel that does not raise.
            return SimpleNamespace(delivery=Basic.Return(), body=message.body)
        self.published.append((routing_key, message))
        return Basic.Ack()

    @property
    def targets(self) -> list[str]:
        return [target for target, _ in self.published]

    def redeliver(self, index: int = -1) -> FakeMessage:
        """The broker delivering a forwarded copy again (after the retry delay)."""
        target, message = self.published[index]
        return FakeMessage(
            body=message.body,
            headers=dict(message.headers or {}),
            message_id=message.message_id,
            routing_key=target,
            type=message.type,
            correlation_id=message.correlation_id,
            user_id=message.user_id,
            exchange="",  # dead-lettered from the retry queue through the default exchange
        )


@pytest.fixture
def exchange() -> FakeExchange:
    return FakeExchange()


WORKSPACE = uuid4()
PLUGIN = Actor(type="plugin", id="demo")


def transaction(external_id: str = "tx-1", **overrides: Any) -> TransactionImported:
    fields: dict[str, Any] = {
        "plugin": "demo",
        "plugin_version": "1.0.0",
        "sync_id": uuid4(),
        "account": BankAccountRef(provider_account_id="a1", currency="CZK"),
        "external_id": external_id,
        "booking_date": date(2026, 1, 31),
        "amount": "1234.50",
        "direction": "income",
        "currency": "CZK",
    }
    return TransactionImported(**(fields | overrides))


@pytest.fixture
def published() -> Callable[..., tuple[Envelope[Any], FakeMessage]]:
    """An event as integrations published it, and its delivery to a consumer."""
    writer = EventWriter("integrations")
    channel = FakeChannel()

    def make(
        payload: EventPayload | None = None,
        headers: dict[str, Any] | None = None,
        *,
        user_id: str | None = "kasa-integrations",
        producer: str | None = None,
        exchange: str = "kasa.events",
    ) -> tuple[Envelope[Any], FakeMessage]:
        author = EventWriter(producer) if producer else writer
        envelope = author.envelope(payload or transaction(), At(WORKSPACE, PLUGIN))
        message = FakeMessage(
            body=envelope.model_dump_json().encode(),
            headers=dict(headers or {}),
            message_id=str(envelope.event_id),
            routing_key=envelope.routing_key,
            type=envelope.routing_key,
            user_id=user_id,
            exchange=exchange,
        )
        return envelope, channel.deliver(message)

    return make


@pytest.fixture
def imported() -> Callable[..., TransactionImported]:
    """A ``TransactionImported`` payload; keyword arguments override its fields."""
    return transaction
