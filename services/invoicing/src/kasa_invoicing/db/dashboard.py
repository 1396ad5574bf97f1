"""Queries behind the dashboard: one workspace's work, invoices and payments."""

from datetime import date

from sqlalchemy import select

from kasa_invoicing.db.store import SqlStore
from kasa_invoicing.db.tables import Client, Invoice, Payment, Project, WorkEntry


class DashboardRows(SqlStore):
    async def clients(self) -> list[Client]:
        return list(
            await self.session.scalars(
                select(Client).where(Client.workspace_id == self.workspace_id)
            )
        )

    async def projects(self) -> list[Project]:
        return list(
            await self.session.scalars(
                select(Project).where(Project.workspace_id == self.workspace_id)
            )
        )

    async def work(self, start: date, end: date) -> list[WorkEntry]:
        return list(
            await self.session.scalars(
                select(WorkEntry).where(
                    WorkEntry.workspace_id == self.workspace_id,
                    WorkEntry.work_date >= start,
                    WorkEntry.work_date <= end,
                )
            )
        )

    async def issued(self) -> list[Invoice]:
        return list(
            await self.session.scalars(
                select(Invoice).where(
                    Invoice.workspace_id == self.workspace_id, Invoice.status != "draft"
                )
            )
        )

    async def payments(self, start: date, end: date) -> list[Payment]:
        return list(
            await self.session.scalars(
                select(Payment).where(
                    Payment.workspace_id == self.workspace_id,
                    Payment.removed_at.is_(None),
                    Payment.paid_on >= start,
                    Payment.paid_on <= end,
                )
            )
        )
