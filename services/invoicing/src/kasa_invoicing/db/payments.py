"""Queries behind payments: the ledger's matches as they apply to invoices."""

from datetime import date
from decimal import Decimal
from typing import Any
from uuid import UUID

from sqlalchemy import func, select

from kasa_invoicing.db.store import SqlStore
from kasa_invoicing.db.tables import Invoice, Payment
from kasa_servicekit.db import insert_if_absent


class PaymentRows(SqlStore):
    async def locked_invoice(self, invoice_id: UUID) -> Invoice | None:
        return await self.session.scalar(
            select(Invoice)
            .where(Invoice.id == invoice_id, Invoice.workspace_id == self.workspace_id)
            .with_for_update()
        )

    async def payment(self, match_id: UUID) -> Payment | None:
        return await self.session.scalar(
            select(Payment).where(
                Payment.workspace_id == self.workspace_id, Payment.match_id == match_id
            )
        )

    async def record(self, values: dict[str, Any]) -> bool:
        # The match id is the natural key: the same match never counts twice, whatever the inbox.
        return await insert_if_absent(
            self.session, Payment.__table__, values, ["workspace_id", "match_id"]
        )

    async def paid(self, invoice: Invoice) -> tuple[Decimal, date | None]:
        """The sum of the invoice's payments still matched, and the day of the last one."""
        total, last = (
            await self.session.execute(
                select(func.coalesce(func.sum(Payment.amount), 0), func.max(Payment.paid_on)).where(
                    Payment.invoice_id == invoice.id, Payment.removed_at.is_(None)
                )
            )
        ).one()
        return Decimal(total or 0), last
