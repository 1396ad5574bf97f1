"""The event catalog: every event Kasa publishes, its producer and its consumers."""

import json
from dataclasses import dataclass
from typing import Any

from kasa_contracts.envelope import Envelope, EventPayload
from kasa_contracts.events.identity import UserRegistered
from kasa_contracts.events.integrations import (
    SyncCompleted,
    SyncFailed,
    SyncStarted,
    TransactionImported,
)
from kasa_contracts.events.ledger import TransactionRecorded


@dataclass(frozen=True)
class EventSpec:
    """One catalogued event: its payload model, who publishes it and who listens."""

    payload: type[EventPayload]
    producer: str
    consumers: tuple[str, ...]

    @property
    def routing_key(self) -> str:
        return self.payload.routing_key()

    @property
    def envelope(self) -> type[Envelope[Any]]:
        return Envelope[self.payload]


_SPECS = [
    EventSpec(UserRegistered, "gateway", ("audit",)),
    EventSpec(TransactionImported, "integrations", ("ledger", "audit")),
    EventSpec(SyncStarted, "integrations", ("audit",)),
    EventSpec(SyncCompleted, "integrations", ("audit",)),
    EventSpec(SyncFailed, "integrations", ("audit",)),
    EventSpec(TransactionRecorded, "ledger", ("audit",)),
]

CATALOG: dict[str, EventSpec] = {spec.routing_key: spec for spec in _SPECS}
"""Every event by routing key (``<service>.<entity>.<verb>.v<major>``)."""


class UnknownEventError(ValueError):
    """The message names an event type and version that the catalog does not hold."""


def spec_for(routing_key: str) -> EventSpec:
    try:
        return CATALOG[routing_key]
    except KeyError:
        raise UnknownEventError(f"unknown event {routing_key!r}") from None


def parse_envelope(body: bytes | str) -> Envelope[Any]:
    """Validate a published message into the envelope of its catalogued payload type.

    Raises ``pydantic.ValidationError`` for a malformed message and ``UnknownEventError``
    for an event type the catalog does not know.
    """
    data = json.loads(body)
    if not isinstance(data, dict):
        raise UnknownEventError("a message must be a JSON object")
    key = f"{data.get('event_type')}.v{data.get('event_version')}"
    return spec_for(key).envelope.model_validate(data)
