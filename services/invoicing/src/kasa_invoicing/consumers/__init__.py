"""One module per inbound event; ``by_routing_key`` lets one queue carry several of them."""

from collections.abc import Mapping
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from kasa_contracts import Envelope
from kasa_servicekit.consumers import Handler


def by_routing_key(handlers: Mapping[str, Handler]) -> Handler:
    """A handler that passes each event to the handler of its routing key."""

    async def dispatch(session: AsyncSession, event: Envelope[Any]) -> None:
        await handlers[event.routing_key](session, event)

    return dispatch
