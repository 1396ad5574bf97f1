"""invoicing.invoice.paid.v1 → the invoice is settled; later payments are only suggested."""

from typing import Any

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from kasa_contracts import Envelope
from kasa_contracts.events.invoicing import InvoicePaid
from kasa_ledger.db.tables import Invoice
from kasa_servicekit.db import insert_if_absent, utcnow


async def handle(session: AsyncSession, event: Envelope[Any]) -> None:
    paid: InvoicePaid = event.payload
    now = utcnow()
    placeholder = {
        "id": paid.invoice_id,
        "workspace_id": event.workspace_id,
        "number": paid.number,
        "paid_on": paid.paid_on,
        "updated_at": now,
    }
    if not await insert_if_absent(session, Invoice.__table__, placeholder, ["id"]):
        await session.execute(
            update(Invoice)
            .where(Invoice.id == paid.invoice_id, Invoice.workspace_id == event.workspace_id)
            .values(paid_on=paid.paid_on, updated_at=now)
        )
