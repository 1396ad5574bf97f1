"""invoicing.invoice.cancelled.v1 → the invoice no longer expects payment."""

from sqlalchemy.ext.asyncio import AsyncSession

from kasa_contracts import Envelope
from kasa_contracts.events.invoicing import InvoiceCancelled
from kasa_ledger.app import invoices
from kasa_servicekit.events import EventWriter


async def handle(
    session: AsyncSession, event: Envelope[InvoiceCancelled], events: EventWriter
) -> None:
    await invoices.cancelled(session, event)
