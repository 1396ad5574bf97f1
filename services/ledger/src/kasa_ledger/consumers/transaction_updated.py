"""integrations.transaction.updated.v1 → the bank restated a movement it reported before."""

from sqlalchemy.ext.asyncio import AsyncSession

from kasa_contracts import Envelope
from kasa_contracts.events.integrations import TransactionUpdated
from kasa_ledger.app import booking
from kasa_servicekit.events import EventWriter


async def handle(
    session: AsyncSession, event: Envelope[TransactionUpdated], events: EventWriter
) -> None:
    await booking.restate(session, event, events)
