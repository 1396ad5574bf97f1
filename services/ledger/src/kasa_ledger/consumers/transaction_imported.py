"""integrations.transaction.imported.v1 → a booked ledger transaction, matched to its invoice."""

from sqlalchemy.ext.asyncio import AsyncSession

from kasa_contracts import Envelope
from kasa_contracts.events.integrations import TransactionImported
from kasa_ledger.app import booking
from kasa_servicekit.events import EventWriter


async def handle(
    session: AsyncSession, event: Envelope[TransactionImported], events: EventWriter
) -> None:
    await booking.book_imported(session, event, events)
