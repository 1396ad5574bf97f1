"""The description of one catalogued event."""

from dataclasses import dataclass
from typing import Any

from kasa_contracts.envelope import Envelope, EventPayload


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
