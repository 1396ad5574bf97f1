"""The event catalog: every event Kasa publishes, its producer and its consumers."""

from typing import Any

import orjson

from kasa_contracts.envelope import Envelope

# Each producer's module lists its events in SPECS; adding a module here adds its events.
from kasa_contracts.events import audit, identity, integrations, invoicing, ledger
from kasa_contracts.spec import EventSpec

_SPECS = [
    *identity.SPECS,
    *integrations.SPECS,
    *ledger.SPECS,
    *invoicing.SPECS,
    *audit.SPECS,
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
    data = orjson.loads(body)
    if not isinstance(data, dict):
        raise UnknownEventError("a message must be a JSON object")
    key = f"{data.get('event_type')}.v{data.get('event_version')}"
    return spec_for(key).envelope.model_validate(data)
