"""Queries behind invoices: their lines, the work they bill, their numbers."""

from collections.abc import Collection
from datetime import date
from uuid import UUID

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from kasa_invoicing.db.numbering import next_sequence
from kasa_invoicing.db.store import SqlStore
from kasa_invoicing.db.tables import (
    Invoice,
    InvoiceLine,
    Project,
    SupplierProfile,
    WorkEntry,
)
from kasa_invoicing.domain.pricing import Line


def domain_lines(rows: list[InvoiceLine]) -> list[Line]:
    """Stored lines as the pricing rules take them."""
    return [
        Line(r.description, r.quantity, r.unit, r.unit_price, r.vat_rate, r.net_amount)
        for r in rows
    ]


async def invoice_lines(session: AsyncSession, invoice_id: UUID) -> list[InvoiceLine]:
    return list(
        await session.scalars(
            select(InvoiceLine)
            .where(InvoiceLine.invoice_id == invoice_id)
            .order_by(InvoiceLine.position)
        )
    )


class InvoiceRows(SqlStore):
    async def supplier(self) -> SupplierProfile | None:
        return await self.session.get(SupplierProfile, self.workspace_id)

    async def entries(self, ids: Collection[UUID]) -> list[WorkEntry]:
        return list(
            await self.session.scalars(
                select(WorkEntry).where(
                    WorkEntry.workspace_id == self.workspace_id, WorkEntry.id.in_(ids)
                )
            )
        )

    async def unbilled(
        self, project_id: UUID, date_from: date | None, date_to: date | None
    ) -> list[WorkEntry]:
        stmt = select(WorkEntry).where(
            WorkEntry.workspace_id == self.workspace_id,
            WorkEntry.project_id == project_id,
            WorkEntry.billable.is_(True),
            WorkEntry.invoice_id.is_(None),
            WorkEntry.minutes.is_not(None) | WorkEntry.fixed_amount.is_not(None),
        )
        if date_from:
            stmt = stmt.where(WorkEntry.work_date >= date_from)
        if date_to:
            stmt = stmt.where(WorkEntry.work_date <= date_to)
        return list(await self.session.scalars(stmt))

    async def projects(self, ids: Collection[UUID]) -> dict[UUID, Project]:
        found = await self.session.scalars(select(Project).where(Project.id.in_(ids)))
        return {p.id: p for p in found}

    async def take_entries(self, invoice_id: UUID, entry_ids: Collection[UUID]) -> int:
        """Put the entries nobody invoiced meanwhile on the invoice; how many were free."""
        taken = await self.session.execute(
            update(WorkEntry)
            .where(
                WorkEntry.id.in_(entry_ids),
                WorkEntry.workspace_id == self.workspace_id,
                WorkEntry.invoice_id.is_(None),
            )
            .values(invoice_id=invoice_id)
            .execution_options(synchronize_session=False)
        )
        return int(taken.rowcount)

    async def release_entries(self, invoice: Invoice) -> None:
        await self.session.execute(
            update(WorkEntry)
            .where(WorkEntry.invoice_id == invoice.id, WorkEntry.workspace_id == self.workspace_id)
            .values(invoice_id=None)
            .execution_options(synchronize_session=False)
        )

    async def lines(self, invoice: Invoice) -> list[InvoiceLine]:
        return await invoice_lines(self.session, invoice.id)

    async def remove(self, invoice: Invoice) -> None:
        await self.session.execute(delete(InvoiceLine).where(InvoiceLine.invoice_id == invoice.id))
        await self.session.delete(invoice)

    async def next_number(self, year: int) -> int:
        return await next_sequence(self.session, self.workspace_id, year)
