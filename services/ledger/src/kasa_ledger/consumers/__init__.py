"""One module per inbound event; ``dispatch`` lets one queue carry several of them."""

from collections.abc import Mapping
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from kasa_contracts import Envelope, EventPayload
from kasa_servicekit.consumers import Handler


def dispatch(handlers: Mapping[type[EventPayload], Handler]) -> Handler:
    """A queue handler that hands each event to the handler of its payload type."""

    async def handle(session: AsyncSession, envelope: Envelope[Any]) -> None:
        handler = handlers.get(type(envelope.payload))
        if handler is None:
            # Raising parks the message: a binding without a handler is a wiring mistake.
            raise LookupError(f"no handler for {envelope.routing_key}")
        await handler(session, envelope)

    return handle
