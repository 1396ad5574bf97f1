"""Rebuilding the invoice projection: clear it, then replay invoicing's events into it.

``POST /ops/ledger/invoice-projection/reset`` is the "clear" half: it deletes the projection
and the inbox claims of its queue, so the replayed events are applied again. The ``kasa ledger
rebuild-invoices`` command calls it and then replays ``invoicing.invoice.*`` into
``ledger.invoices`` only. Operator-only: served under ``/ops``, never routed by the gateway.
"""

from fastapi import APIRouter
from sqlalchemy import delete

from kasa_ledger.db.tables import Invoice
from kasa_servicekit.operations import Operator
from kasa_servicekit.service import Db
from kasa_servicekit.tables import inbox

INVOICE_QUEUE = "ledger.invoices"

router = APIRouter(prefix="/ops/ledger", include_in_schema=False)


@router.post("/invoice-projection/reset")
async def reset_invoice_projection(db: Db, _: Operator) -> dict[str, int]:
    async with db.transaction() as session:
        invoices = await session.execute(delete(Invoice))
        claims = await session.execute(delete(inbox).where(inbox.c.consumer == INVOICE_QUEUE))
    return {"invoices_cleared": invoices.rowcount, "claims_cleared": claims.rowcount}
