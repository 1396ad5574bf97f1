"""Invoices: drafts from unbilled work, issuing with gap-free numbers, cancelling, deleting
drafts and changing their lines.

Each step checks the lifecycle (``domain/lifecycle.py``) before it changes anything, so a
refused step leaves the invoice, its lines and its work as they were.
"""

from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Protocol
from uuid import UUID

from kasa_contracts.changes import diff, wire_value
from kasa_contracts.events.invoicing import (
    InvoiceCancelled,
    InvoiceDraftDeleted,
    InvoiceDrafted,
    InvoiceDraftUpdated,
    InvoiceIssued,
)
from kasa_invoicing.app.store import Store
from kasa_invoicing.db.invoices import domain_lines
from kasa_invoicing.db.tables import (
    Client,
    Invoice,
    InvoiceLine,
    Project,
    SupplierProfile,
    WorkEntry,
)
from kasa_invoicing.domain import lifecycle
from kasa_invoicing.domain.errors import Conflict, Invalid, NotFound
from kasa_invoicing.domain.numbering import format_number, variable_symbol
from kasa_invoicing.domain.pricing import (
    BillableWork,
    Grouping,
    Line,
    bounded_totals,
    check_amount,
    effective_rate,
    lines_from_work,
    manual_line,
)
from kasa_invoicing.domain.work import check_invoiceable
from kasa_servicekit.db import utcnow
from kasa_servicekit.events import EventWriter, Origin
from kasa_servicekit.ids import new_id

CLIENT_SNAPSHOT = ("name", "email", "address", "country", "company_id", "vat_id")
SUPPLIER_SNAPSHOT = (
    "name",
    "address",
    "company_id",
    "vat_id",
    "iban",
    "bic",
    "vat_payer",
    "logo_url",
)
LINE_FIELDS = ("description", "vat_rate")


class InvoiceStore(Store, Protocol):
    async def supplier(self) -> SupplierProfile | None: ...

    async def entries(self, ids: Collection[UUID]) -> list[WorkEntry]:
        """The workspace's entries among ``ids``."""
        ...

    async def unbilled(
        self, project_id: UUID, date_from: date | None, date_to: date | None
    ) -> list[WorkEntry]:
        """The project's billable, finished entries on no invoice, in the period."""
        ...

    async def projects(self, ids: Collection[UUID]) -> dict[UUID, Project]: ...

    async def take_entries(self, invoice_id: UUID, entry_ids: Collection[UUID]) -> int:
        """Put the entries still on no invoice on this one; how many that was."""
        ...

    async def release_entries(self, invoice: Invoice) -> None:
        """The invoice's entries are on no invoice again."""
        ...

    async def lines(self, invoice: Invoice) -> list[InvoiceLine]:
        """The invoice's lines in order."""
        ...

    async def remove(self, invoice: Invoice) -> None:
        """Delete the invoice and its lines."""
        ...

    async def next_number(self, year: int) -> int:
        """The next sequence number of the year, taken in this transaction."""
        ...


@dataclass(frozen=True)
class ExtraItem:
    """A line that is not work: expenses, licences, any other fixed item."""

    description: str
    quantity: Decimal
    unit_price: Decimal
    unit: str = "pcs"
    vat_rate: Decimal | None = None
    """``None``: the invoice's VAT rate."""


@dataclass(frozen=True)
class Draft:
    """Which unbilled work to invoice: chosen entries, or a project's entries in a period."""

    client_id: UUID
    work_entry_ids: Sequence[UUID] | None = None
    project_id: UUID | None = None
    date_from: date | None = None
    date_to: date | None = None
    grouping: Grouping = "entry"
    vat_rate: Decimal = Decimal(0)
    extra_lines: Sequence[ExtraItem] = field(default_factory=tuple)
    payment_terms_days: int | None = None
    note: str | None = None


async def _selected_entries(store: InvoiceStore, draft: Draft, client: Client) -> list[WorkEntry]:
    if draft.work_entry_ids is not None:
        wanted = set(draft.work_entry_ids)
        rows = await store.entries(wanted)
        if len(rows) != len(wanted):
            raise Invalid("some work entries do not exist")
        for row in rows:
            check_invoiceable(row, client.id)
        return rows
    if draft.project_id is None:
        return []
    project = await store.owned(Project, draft.project_id, "project")
    if project.client_id != client.id:
        raise Invalid("the project belongs to another client")
    rows = await store.unbilled(project.id, draft.date_from, draft.date_to)
    if not rows:
        raise Invalid("the project has no unbilled work in that period")
    return rows


async def _billable_work(
    store: InvoiceStore, entries: list[WorkEntry], client: Client
) -> list[BillableWork]:
    projects = await store.projects({e.project_id for e in entries})
    work = []
    for entry in entries:
        project = projects[entry.project_id]
        currency = project.currency or client.currency
        if currency != client.currency:
            raise Invalid(
                f"project {project.name!r} is billed in {currency}, the client in {client.currency}"
            )
        rate = effective_rate(project.hourly_rate, client.hourly_rate)
        if entry.minutes is not None and rate is None:
            raise Invalid(f"project {project.name!r} has no hourly rate and neither has its client")
        work.append(
            BillableWork(
                entry_id=entry.id,
                project_id=project.id,
                project_name=project.name,
                work_date=entry.work_date,
                description=entry.description,
                minutes=entry.minutes,
                fixed_amount=entry.fixed_amount,
                hourly_rate=rate,
            )
        )
    return work


async def draft(store: InvoiceStore, events: EventWriter, by: Origin, request: Draft) -> Invoice:
    """A draft for one client from its unbilled work and extra lines; the work is then on it.

    A draft has no number yet (it gets one when issued), so discarded drafts leave no gaps.
    """
    client = await store.owned(Client, request.client_id, "client")
    entries = await _selected_entries(store, request, client)
    currency = client.currency
    # Amounts too large for an invoice are refused naming the field that brought them in.
    work_field = ("work_entry_ids",) if request.work_entry_ids is not None else ("project_id",)
    lines: list[Line] = lines_from_work(
        await _billable_work(store, entries, client),
        request.grouping,
        request.vat_rate,
        currency,
        at=work_field,
    )
    lines += [
        manual_line(
            x.description,
            x.quantity,
            x.unit,
            x.unit_price,
            x.vat_rate if x.vat_rate is not None else request.vat_rate,
            currency,
            at=("extra_lines", i, "unit_price"),
        )
        for i, x in enumerate(request.extra_lines)
    ]
    if not lines:
        raise Invalid("an invoice needs at least one line")
    summed = bounded_totals(
        lines, currency, at=("extra_lines",) if request.extra_lines else work_field
    )
    supplier = await store.supplier()
    invoice = Invoice(
        id=new_id(),
        workspace_id=store.workspace_id,
        client_id=client.id,
        number=None,
        variable_symbol=None,
        status="draft",
        currency=currency,
        language=client.language,
        issue_date=None,
        due_date=None,
        payment_terms_days=lifecycle.payment_terms(
            request.payment_terms_days,
            client.payment_terms_days,
            supplier.payment_terms_days if supplier else None,
        ),
        subtotal=summed.subtotal,
        vat_total=summed.vat_total,
        total=summed.total,
        paid_total=Decimal(0),
        paid_on=None,
        note=request.note,
        supplier={},
        client={name: getattr(client, name) for name in CLIENT_SNAPSHOT},
        created_at=utcnow(),
        issued_at=None,
        cancelled_at=None,
    )
    store.add(invoice)
    await store.flush()
    for position, line in enumerate(lines, start=1):
        store.add(
            InvoiceLine(
                id=new_id(),
                workspace_id=store.workspace_id,
                invoice_id=invoice.id,
                position=position,
                description=line.description,
                quantity=line.quantity,
                unit=line.unit,
                unit_price=line.unit_price,
                vat_rate=line.vat_rate,
                net_amount=line.net_amount,
                work_entry_ids=[str(i) for i in line.work_entry_ids],
            )
        )
    # Only entries nobody invoiced meanwhile are taken; anything less is a lost race.
    if entries and await store.take_entries(invoice.id, [e.id for e in entries]) != len(entries):
        raise Conflict("some of these work entries were invoiced meanwhile")
    drafted = InvoiceDrafted(
        invoice_id=invoice.id,
        client_id=client.id,
        total=summed.total,
        currency=currency,
        work_entry_ids=[e.id for e in entries],
    )
    await events.write(store.session, drafted, on=by)
    return invoice


async def issue(
    store: InvoiceStore, events: EventWriter, by: Origin, invoice_id: UUID, on: date | None = None
) -> Invoice:
    """Issue a draft ``on`` a day (today by default): it gets the year's next number, its due
    date and the supplier as they are now."""
    invoice = await store.owned(Invoice, invoice_id, "invoice", lock=True)
    supplier = await store.supplier() if invoice.status == "draft" else None
    status = lifecycle.issue(invoice.status, invoice.total, has_supplier=supplier is not None)
    assert supplier is not None
    # A draft made before totals were bounded may hold more than an issued invoice can carry.
    check_amount(invoice.total, "the invoice's total")
    issued_on = on or utcnow().date()
    seq = await store.next_number(issued_on.year)
    number = format_number(supplier.number_format, issued_on.year, seq)
    invoice.number = number
    invoice.variable_symbol = variable_symbol(number)
    invoice.status = status
    invoice.issue_date = issued_on
    invoice.due_date = lifecycle.due_date(issued_on, invoice.payment_terms_days)
    invoice.issued_at = utcnow()
    invoice.supplier = {name: getattr(supplier, name) for name in SUPPLIER_SNAPSHOT}
    await store.flush()
    issued = InvoiceIssued(
        invoice_id=invoice.id,
        number=number,
        variable_symbol=invoice.variable_symbol,
        client_id=invoice.client_id,
        client_name=str(invoice.client["name"]),
        total=invoice.total,
        currency=invoice.currency,
        issue_date=issued_on,
        due_date=invoice.due_date,
    )
    await events.write(store.session, issued, on=by)
    return invoice


async def cancel(store: InvoiceStore, events: EventWriter, by: Origin, invoice_id: UUID) -> Invoice:
    """Cancel an issued invoice: it keeps its number, and its work entries are unbilled again."""
    invoice = await store.owned(Invoice, invoice_id, "invoice", lock=True)
    invoice.status = lifecycle.cancel(invoice.status)
    invoice.cancelled_at = utcnow()
    await store.release_entries(invoice)
    assert invoice.number is not None
    cancelled = InvoiceCancelled(invoice_id=invoice.id, number=invoice.number)
    await events.write(store.session, cancelled, on=by)
    return invoice


async def delete_draft(
    store: InvoiceStore, events: EventWriter, by: Origin, invoice_id: UUID
) -> None:
    """Delete a draft and free its work entries."""
    invoice = await store.owned(Invoice, invoice_id, "invoice", lock=True)
    lifecycle.check_deletable(invoice.status)
    await store.release_entries(invoice)
    await store.remove(invoice)
    deleted = InvoiceDraftDeleted(invoice_id=invoice.id, client_id=invoice.client_id)
    await events.write(store.session, deleted, on=by)


@dataclass(frozen=True)
class LineChange:
    """What a draft's line may change; quantities and prices follow the work they bill."""

    description: str | None = None
    vat_rate: Decimal | None = None


async def change_line(
    store: InvoiceStore,
    events: EventWriter,
    by: Origin,
    invoice_id: UUID,
    line_id: UUID,
    change: LineChange,
) -> Invoice:
    """Change a draft line's description or VAT rate; the totals follow."""
    invoice = await store.owned(Invoice, invoice_id, "invoice", lock=True)
    lifecycle.check_lines_editable(invoice.status)
    rows = await store.lines(invoice)
    line = next((r for r in rows if r.id == line_id), None)
    if line is None:
        raise NotFound("invoice line")

    def fields() -> dict[str, object]:
        return {f"lines.{line.position}.{k}": wire_value(getattr(line, k)) for k in LINE_FIELDS}

    before = fields()
    if change.description is not None:
        line.description = change.description
    if change.vat_rate is not None:
        line.vat_rate = change.vat_rate
    changes = diff(before, fields())
    summed = bounded_totals(domain_lines(rows), invoice.currency, at=("vat_rate",))
    invoice.subtotal, invoice.vat_total, invoice.total = (
        summed.subtotal,
        summed.vat_total,
        summed.total,
    )
    if changes:
        updated = InvoiceDraftUpdated(
            invoice_id=invoice.id, total=invoice.total, currency=invoice.currency, changes=changes
        )
        await events.write(store.session, updated, on=by)
    await store.flush()
    return invoice
