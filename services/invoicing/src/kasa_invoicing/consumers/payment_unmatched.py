"""ledger.payment.unmatched.v1 → the payment is taken off its invoice."""

from sqlalchemy.ext.asyncio import AsyncSession

from kasa_contracts import Envelope
from kasa_contracts.events.ledger import PaymentUnmatched
from kasa_invoicing.app import payments
from kasa_invoicing.db.payments import PaymentRows
from kasa_servicekit.events import EventWriter


async def handle(
    session: AsyncSession, event: Envelope[PaymentUnmatched], events: EventWriter
) -> None:
    await payments.remove_match(PaymentRows(session, event.workspace_id), events, event)
