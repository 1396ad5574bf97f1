"""The dashboard: a workspace's work, invoices and payments of a period, per currency."""

from datetime import date
from typing import Protocol

from kasa_invoicing.db.tables import Client, Invoice, Payment, Project, WorkEntry
from kasa_invoicing.domain.dashboard import (
    Dashboard,
    InvoiceFact,
    PaymentFact,
    WorkFact,
    build_dashboard,
)
from kasa_invoicing.domain.pricing import effective_rate


class DashboardStore(Protocol):
    async def clients(self) -> list[Client]: ...

    async def projects(self) -> list[Project]: ...

    async def work(self, start: date, end: date) -> list[WorkEntry]:
        """Work done from ``start`` to ``end``."""
        ...

    async def issued(self) -> list[Invoice]:
        """Every invoice that is not a draft."""
        ...

    async def payments(self, start: date, end: date) -> list[Payment]:
        """Payments still matched, paid from ``start`` to ``end``."""
        ...


async def dashboard(store: DashboardStore, start: date, end: date, today: date) -> Dashboard:
    """The figures from ``start`` to ``end``; outstanding and overdue as of ``today``."""
    clients = {c.id: c for c in await store.clients()}
    projects = {p.id: p for p in await store.projects()}
    work = []
    for e in await store.work(start, end):
        project, client = projects[e.project_id], clients[e.client_id]
        work.append(
            WorkFact(
                work_date=e.work_date,
                minutes=e.minutes,
                fixed_amount=e.fixed_amount,
                billable=e.billable,
                invoiced=e.invoice_id is not None,
                currency=project.currency or client.currency,
                hourly_rate=effective_rate(project.hourly_rate, client.hourly_rate),
            )
        )
    invoices = [
        InvoiceFact(
            client_id=i.client_id,
            client_name=str(i.client.get("name", "")),
            status=i.status,
            currency=i.currency,
            issue_date=i.issue_date,
            due_date=i.due_date,
            total=i.total,
            paid_total=i.paid_total,
        )
        for i in await store.issued()
    ]
    payments = [
        PaymentFact(p.currency, p.amount, p.paid_on) for p in await store.payments(start, end)
    ]
    return build_dashboard(start, end, today, work, invoices, payments)
