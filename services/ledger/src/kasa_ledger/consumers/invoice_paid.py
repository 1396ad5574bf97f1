"""invoicing.invoice.paid.v1 → the invoice is settled; later payments are only suggested."""

from sqlalchemy.ext.asyncio import AsyncSession

from kasa_contracts import Envelope
from kasa_contracts.events.invoicing import InvoicePaid
from kasa_ledger.app import invoices
from kasa_servicekit.events import EventWriter


async def handle(session: AsyncSession, event: Envelope[InvoicePaid], events: EventWriter) -> None:
    await invoices.paid(session, event)
