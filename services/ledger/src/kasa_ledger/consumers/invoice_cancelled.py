"""invoicing.invoice.cancelled.v1 → the invoice no longer expects payment."""

from typing import Any

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from kasa_contracts import Envelope
from kasa_contracts.events.invoicing import InvoiceCancelled
from kasa_ledger.db.tables import Invoice
from kasa_servicekit.db import insert_if_absent, utcnow


async def handle(session: AsyncSession, event: Envelope[Any]) -> None:
    cancelled: InvoiceCancelled = event.payload
    now = utcnow()
    placeholder = {
        "id": cancelled.invoice_id,
        "workspace_id": event.workspace_id,
        "number": cancelled.number,
        "cancelled_at": event.occurred_at,
        "updated_at": now,
    }
    if not await insert_if_absent(session, Invoice.__table__, placeholder, ["id"]):
        await session.execute(
            update(Invoice)
            .where(Invoice.id == cancelled.invoice_id, Invoice.workspace_id == event.workspace_id)
            .values(cancelled_at=event.occurred_at, updated_at=now)
        )
