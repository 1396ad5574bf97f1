"""Queries behind work entries and the timer."""

from collections.abc import Sequence
from uuid import UUID

from sqlalchemy import Select, select

from kasa_invoicing.db.store import SqlStore
from kasa_invoicing.db.tables import Invoice, WorkEntry


def running_timer(workspace_id: UUID) -> Select[tuple[WorkEntry]]:
    return select(WorkEntry).where(
        WorkEntry.workspace_id == workspace_id,
        WorkEntry.started_at.is_not(None),
        WorkEntry.minutes.is_(None),
        WorkEntry.fixed_amount.is_(None),
    )


class WorkRows(SqlStore):
    async def running(self, *, lock: bool = False) -> WorkEntry | None:
        stmt = running_timer(self.workspace_id)
        return await self.session.scalar(stmt.with_for_update() if lock else stmt)

    async def invoice_numbers(self, rows: Sequence[WorkEntry]) -> dict[UUID, str | None]:
        """One query for the numbers of the invoices the entries are on, so a list shows them."""
        ids = {r.invoice_id for r in rows if r.invoice_id is not None}
        if not ids:
            return {}
        found = await self.session.execute(
            select(Invoice.id, Invoice.number).where(Invoice.id.in_(ids))
        )
        return {invoice_id: number for invoice_id, number in found.tuples()}
