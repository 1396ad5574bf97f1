"""invoicing.invoice.issued.v1 → the invoice in the matching projection, and its payments."""

from sqlalchemy.ext.asyncio import AsyncSession

from kasa_contracts import Envelope
from kasa_contracts.events.invoicing import InvoiceIssued
from kasa_ledger.app import invoices
from kasa_servicekit.events import EventWriter


async def handle(
    session: AsyncSession, event: Envelope[InvoiceIssued], events: EventWriter
) -> None:
    await invoices.issued(session, event, events)
