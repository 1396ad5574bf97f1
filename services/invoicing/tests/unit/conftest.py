"""Use cases driven without a database: one workspace's rows in memory, events recorded."""

import uuid
from collections import defaultdict
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest

from kasa_contracts import Actor
from kasa_invoicing.db.tables import (
    Client,
    Invoice,
    InvoiceLine,
    Payment,
    Project,
    ShareLink,
    SupplierProfile,
    WorkEntry,
)
from kasa_invoicing.domain.errors import NotFound
from kasa_servicekit.events import At, RecordedEvents


class MemoryRows:
    """Every store the use cases ask for, over rows kept in dictionaries.

    It answers the way the SQL stores do: scoped to its workspace, entries taken only while
    they are on no invoice, a match recorded once, invoice numbers counted per year.
    """

    session = None

    def __init__(self, workspace_id: uuid.UUID | None = None) -> None:
        self.workspace_id = workspace_id or uuid.uuid4()
        self.rows: dict[type, dict[Any, Any]] = defaultdict(dict)
        self.counters: dict[int, int] = defaultdict(int)

    def seen_from(self, workspace_id: uuid.UUID) -> "MemoryRows":
        """The same rows as a store of another workspace sees them."""
        other = MemoryRows(workspace_id)
        other.rows, other.counters = self.rows, self.counters
        return other

    # Store
    def _key(self, row: Any) -> Any:
        return row.workspace_id if isinstance(row, SupplierProfile) else row.id

    def add(self, row: Any) -> None:
        self.rows[type(row)][self._key(row)] = row

    async def delete(self, row: Any) -> None:
        del self.rows[type(row)][self._key(row)]

    async def flush(self) -> None:
        pass

    async def owned(self, model, record_id, what, *, lock=False):
        row = self.rows[model].get(record_id)
        if row is None or row.workspace_id != self.workspace_id:
            raise NotFound(what)
        return row

    def all(self, model: type) -> list[Any]:
        return list(self.rows[model].values())

    # Clients and projects
    async def in_use(self, client: Client) -> bool:
        return any(p.client_id == client.id for p in self.all(Project)) or any(
            i.client_id == client.id for i in self.all(Invoice)
        )

    async def client_of(self, project: Project) -> Client:
        return self.rows[Client][project.client_id]

    async def has_work(self, project: Project) -> bool:
        return any(e.project_id == project.id for e in self.all(WorkEntry))

    async def supplier(self, *, lock: bool = False) -> SupplierProfile | None:
        return self.rows[SupplierProfile].get(self.workspace_id)

    # Work and the timer
    async def running(self, *, lock: bool = False) -> WorkEntry | None:
        return next(
            (
                e
                for e in self.all(WorkEntry)
                if e.started_at is not None and e.minutes is None and e.fixed_amount is None
            ),
            None,
        )

    # Invoices
    async def entries(self, ids) -> list[WorkEntry]:
        return [e for e in self.all(WorkEntry) if e.id in ids]

    async def unbilled(self, project_id, date_from, date_to) -> list[WorkEntry]:
        return [
            e
            for e in self.all(WorkEntry)
            if e.project_id == project_id
            and e.billable
            and e.invoice_id is None
            and (e.minutes is not None or e.fixed_amount is not None)
            and (date_from is None or e.work_date >= date_from)
            and (date_to is None or e.work_date <= date_to)
        ]

    async def projects(self, ids) -> dict[uuid.UUID, Project]:
        return {p.id: p for p in self.all(Project) if p.id in ids}

    async def take_entries(self, invoice_id, entry_ids) -> int:
        free = [e for e in self.all(WorkEntry) if e.id in entry_ids and e.invoice_id is None]
        for entry in free:
            entry.invoice_id = invoice_id
        return len(free)

    async def release_entries(self, invoice: Invoice) -> None:
        for entry in self.all(WorkEntry):
            if entry.invoice_id == invoice.id:
                entry.invoice_id = None

    async def lines(self, invoice: Invoice) -> list[InvoiceLine]:
        found = [x for x in self.all(InvoiceLine) if x.invoice_id == invoice.id]
        return sorted(found, key=lambda x: x.position)

    async def remove(self, invoice: Invoice) -> None:
        for line in await self.lines(invoice):
            await self.delete(line)
        await self.delete(invoice)

    async def next_number(self, year: int) -> int:
        self.counters[year] += 1
        return self.counters[year]

    # Sharing and the portal
    async def live_links(self, invoice: Invoice) -> list[ShareLink]:
        return [
            x for x in self.all(ShareLink) if x.invoice_id == invoice.id and x.revoked_at is None
        ]

    async def link(self, token_hash: str) -> ShareLink | None:
        return next((x for x in self.all(ShareLink) if x.token_hash == token_hash), None)

    async def invoice(self, link: ShareLink) -> Invoice | None:
        invoice = self.rows[Invoice].get(link.invoice_id)
        return invoice if invoice and invoice.workspace_id == link.workspace_id else None

    # Payments
    async def locked_invoice(self, invoice_id) -> Invoice | None:
        invoice = self.rows[Invoice].get(invoice_id)
        return invoice if invoice and invoice.workspace_id == self.workspace_id else None

    async def payment(self, match_id) -> Payment | None:
        return next((p for p in self.all(Payment) if p.match_id == match_id), None)

    async def record(self, values: dict[str, Any]) -> bool:
        if await self.payment(values["match_id"]) is not None:
            return False
        self.add(Payment(**values))
        return True

    async def paid(self, invoice: Invoice) -> tuple[Decimal, date | None]:
        live = [p for p in self.all(Payment) if p.invoice_id == invoice.id and p.removed_at is None]
        return sum((p.amount for p in live), Decimal(0)), max(
            (p.paid_on for p in live), default=None
        )

    # Fixtures of rows
    def client(self, **fields: Any) -> Client:
        now = datetime.now(UTC)
        row = Client(
            id=uuid.uuid4(),
            workspace_id=self.workspace_id,
            name="Acme s.r.o.",
            email=None,
            address=None,
            country="CZ",
            company_id=None,
            vat_id=None,
            currency="CZK",
            language="cs",
            payment_terms_days=None,
            hourly_rate=Decimal("1000"),
            created_at=now,
            updated_at=now,
        )
        for name, value in fields.items():
            setattr(row, name, value)
        self.add(row)
        return row

    def project(self, client: Client, **fields: Any) -> Project:
        now = datetime.now(UTC)
        row = Project(
            id=uuid.uuid4(),
            workspace_id=self.workspace_id,
            client_id=client.id,
            name="Web",
            hourly_rate=None,
            currency=None,
            active=True,
            created_at=now,
            updated_at=now,
        )
        for name, value in fields.items():
            setattr(row, name, value)
        self.add(row)
        return row

    def entry(self, project: Project, day: str = "2026-03-02", **fields: Any) -> WorkEntry:
        now = datetime.now(UTC)
        row = WorkEntry(
            id=uuid.uuid4(),
            workspace_id=self.workspace_id,
            project_id=project.id,
            client_id=project.client_id,
            work_date=date.fromisoformat(day),
            minutes=None,
            fixed_amount=None,
            description="work",
            billable=True,
            invoice_id=None,
            started_at=None,
            created_at=now,
            updated_at=now,
        )
        for name, value in fields.items():
            setattr(row, name, value)
        self.add(row)
        return row

    def supplier_profile(self, **fields: Any) -> SupplierProfile:
        row = SupplierProfile(
            workspace_id=self.workspace_id,
            name="Jana Nováková",
            address="Dlouhá 1, 110 00 Praha 1",
            company_id="12345678",
            vat_id=None,
            iban="CZ6508000000192000145399",
            bic="GIBACZPX",
            default_currency="CZK",
            number_format="{year}-{seq:04d}",
            payment_terms_days=14,
            vat_payer=False,
            logo_url=None,
            updated_at=datetime.now(UTC),
        )
        for name, value in fields.items():
            setattr(row, name, value)
        self.add(row)
        return row


@pytest.fixture
def rows() -> MemoryRows:
    return MemoryRows()


@pytest.fixture
def events() -> RecordedEvents:
    return RecordedEvents("invoicing")


@pytest.fixture
def member(rows) -> At:
    """A member of the workspace changing things."""
    return At(rows.workspace_id, Actor(type="user", id=str(uuid.uuid4()), name="Jana"))
