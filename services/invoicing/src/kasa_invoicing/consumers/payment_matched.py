"""ledger.payment.matched.v1 → a payment recorded on the invoice."""

from sqlalchemy.ext.asyncio import AsyncSession

from kasa_contracts import Envelope
from kasa_contracts.events.ledger import PaymentMatched
from kasa_invoicing.app import payments
from kasa_invoicing.db.payments import PaymentRows
from kasa_servicekit.events import EventWriter


async def handle(
    session: AsyncSession, event: Envelope[PaymentMatched], events: EventWriter
) -> None:
    await payments.record_match(PaymentRows(session, event.workspace_id), events, event)
