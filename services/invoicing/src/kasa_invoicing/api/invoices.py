"""/api/v1/invoices: drafts from unbilled work, issuing with gap-free numbers, cancelling."""

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Annotated, Any, Literal
from uuid import UUID

from fastapi import APIRouter, Depends, Query, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, model_validator
from sqlalchemy import Select, case, delete, func, literal, select, type_coerce, update
from sqlalchemy.ext.asyncio import AsyncSession

from kasa_contracts.changes import diff
from kasa_contracts.events.invoicing import (
    InvoiceCancelled,
    InvoiceDraftDeleted,
    InvoiceDrafted,
    InvoiceDraftUpdated,
    InvoiceIssued,
)
from kasa_contracts.types import DecimalString, PositiveAmount
from kasa_invoicing.api.invoice_views import (
    InvoiceOut,
    InvoiceSummary,
    full,
    invoice_lines,
    summary,
    today,
)
from kasa_invoicing.api.projects import effective_rate
from kasa_invoicing.api.records import conflict, plain, publish, unprocessable
from kasa_invoicing.db.numbering import next_sequence
from kasa_invoicing.db.tables import (
    Client,
    Invoice,
    InvoiceLine,
    Project,
    SupplierProfile,
    WorkEntry,
)
from kasa_invoicing.domain.lifecycle import AWAITING_PAYMENT
from kasa_invoicing.domain.numbering import format_number, variable_symbol
from kasa_invoicing.domain.pricing import (
    BillableWork,
    Grouping,
    Line,
    lines_from_work,
    manual_line,
    totals,
)
from kasa_invoicing.pdf.document import as_domain_lines
from kasa_servicekit import idempotency
from kasa_servicekit.auth import CurrentPrincipal, Principal, WritingPrincipal
from kasa_servicekit.db import Money, utcnow
from kasa_servicekit.ids import new_id
from kasa_servicekit.money import at_currency_precision
from kasa_servicekit.pagination import Cursor, Limit, Page, keyset_page
from kasa_servicekit.problems import not_found
from kasa_servicekit.scoping import owned
from kasa_servicekit.service import Db

router = APIRouter(prefix="/api/v1/invoices", tags=["invoices"])

DEFAULT_PAYMENT_TERMS_DAYS = 14
VatRate = Annotated[DecimalString, Field(ge=0, le=100, decimal_places=2)]
CLIENT_SNAPSHOT = ("name", "email", "address", "country", "company_id", "vat_id")
LINE_FIELDS = ("description", "vat_rate")
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


class ExtraLine(BaseModel):
    """A line that is not work: expenses, licences, any other fixed item."""

    model_config = ConfigDict(extra="forbid")

    description: Annotated[str, Field(min_length=1, max_length=2000)]
    quantity: PositiveAmount
    unit: Annotated[str, Field(min_length=1, max_length=16)] = "pcs"
    unit_price: PositiveAmount
    vat_rate: VatRate | None = Field(default=None, description="Empty: the invoice's vat_rate")


class InvoiceIn(BaseModel):
    """Which unbilled work to invoice: chosen entries, or a project's entries in a date range."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    client_id: UUID
    work_entry_ids: list[UUID] | None = Field(default=None, max_length=5000)
    project_id: UUID | None = None
    date_from: date | None = Field(default=None, alias="from")
    date_to: date | None = Field(default=None, alias="to")
    grouping: Grouping = Field(
        default="entry", description="A line per entry, or time summed per project or per day"
    )
    vat_rate: VatRate = Field(default=Decimal(0), description="Percent; 0 for non-VAT payers")
    extra_lines: list[ExtraLine] = Field(default_factory=list, max_length=500)
    payment_terms_days: Annotated[int | None, Field(ge=0, le=365)] = None
    note: Annotated[str | None, Field(max_length=2000)] = None

    @model_validator(mode="after")
    def _one_source(self) -> "InvoiceIn":
        if self.work_entry_ids is not None and self.project_id is not None:
            raise ValueError("choose work_entry_ids or a project_id with dates, not both")
        if self.work_entry_ids is None and self.project_id is None and not self.extra_lines:
            raise ValueError("choose work_entry_ids, a project_id with dates, or extra_lines")
        if self.work_entry_ids is not None and (self.date_from or self.date_to):
            raise ValueError("from/to select a project's entries; not with work_entry_ids")
        return self


class IssueIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    issue_date: date | None = Field(default=None, description="Empty: today")


async def _selected_entries(
    session: AsyncSession, body: InvoiceIn, client: Client, workspace_id: UUID
) -> list[WorkEntry]:
    base = select(WorkEntry).where(WorkEntry.workspace_id == workspace_id)
    if body.work_entry_ids is not None:
        wanted = set(body.work_entry_ids)
        rows = list(await session.scalars(base.where(WorkEntry.id.in_(wanted))))
        if len(rows) != len(wanted):
            raise unprocessable("some work entries do not exist")
        for row in rows:
            if row.client_id != client.id:
                raise unprocessable(f"work entry {row.id} belongs to another client")
            if row.invoice_id is not None:
                raise conflict(f"work entry {row.id} is already on an invoice")
            if not row.billable:
                raise unprocessable(f"work entry {row.id} is not billable")
            if row.minutes is None and row.fixed_amount is None:
                raise unprocessable(f"work entry {row.id} has a running timer")
        return rows
    if body.project_id is None:
        return []
    project = await owned(session, Project, body.project_id, workspace_id, "project")
    if project.client_id != client.id:
        raise unprocessable("the project belongs to another client")
    stmt = base.where(
        WorkEntry.project_id == project.id,
        WorkEntry.billable.is_(True),
        WorkEntry.invoice_id.is_(None),
        WorkEntry.minutes.is_not(None) | WorkEntry.fixed_amount.is_not(None),
    )
    if body.date_from:
        stmt = stmt.where(WorkEntry.work_date >= body.date_from)
    if body.date_to:
        stmt = stmt.where(WorkEntry.work_date <= body.date_to)
    rows = list(await session.scalars(stmt))
    if not rows:
        raise unprocessable("the project has no unbilled work in that period")
    return rows


async def _billable_work(
    session: AsyncSession, entries: list[WorkEntry], client: Client
) -> list[BillableWork]:
    project_ids = {e.project_id for e in entries}
    projects = {
        p.id: p for p in await session.scalars(select(Project).where(Project.id.in_(project_ids)))
    }
    work = []
    for entry in entries:
        project = projects[entry.project_id]
        currency = project.currency or client.currency
        if currency != client.currency:
            raise unprocessable(
                f"project {project.name!r} is billed in {currency}, the client in {client.currency}"
            )
        rate = effective_rate(project, client)
        if entry.minutes is not None and rate is None:
            raise unprocessable(
                f"project {project.name!r} has no hourly rate and neither has its client"
            )
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


async def _draft(session: AsyncSession, body: InvoiceIn, principal: Principal) -> Invoice:
    ws = principal.workspace_id
    client = await owned(session, Client, body.client_id, ws, "client")
    entries = await _selected_entries(session, body, client, ws)
    currency = client.currency
    lines: list[Line] = lines_from_work(
        await _billable_work(session, entries, client), body.grouping, body.vat_rate, currency
    )
    lines += [
        manual_line(
            x.description,
            x.quantity,
            x.unit,
            x.unit_price,
            x.vat_rate if x.vat_rate is not None else body.vat_rate,
            currency,
        )
        for x in body.extra_lines
    ]
    if not lines:
        raise unprocessable("an invoice needs at least one line")
    summed = totals(lines, currency)
    supplier = await session.get(SupplierProfile, ws)
    terms = next(
        t
        for t in (
            body.payment_terms_days,
            client.payment_terms_days,
            supplier.payment_terms_days if supplier else None,
            DEFAULT_PAYMENT_TERMS_DAYS,
        )
        if t is not None
    )
    invoice = Invoice(
        id=new_id(),
        workspace_id=ws,
        client_id=client.id,
        number=None,
        variable_symbol=None,
        status="draft",
        currency=currency,
        language=client.language,
        issue_date=None,
        due_date=None,
        payment_terms_days=terms,
        subtotal=summed.subtotal,
        vat_total=summed.vat_total,
        total=summed.total,
        paid_total=Decimal(0),
        paid_on=None,
        note=body.note,
        supplier={},
        client={name: getattr(client, name) for name in CLIENT_SNAPSHOT},
        created_at=utcnow(),
        issued_at=None,
        cancelled_at=None,
    )
    session.add(invoice)
    await session.flush()
    session.add_all(
        InvoiceLine(
            id=new_id(),
            workspace_id=ws,
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
        for position, line in enumerate(lines, start=1)
    )
    if entries:
        # Only entries nobody invoiced meanwhile are taken; anything less is a lost race.
        taken = await session.execute(
            update(WorkEntry)
            .where(
                WorkEntry.id.in_([e.id for e in entries]),
                WorkEntry.workspace_id == ws,
                WorkEntry.invoice_id.is_(None),
            )
            .values(invoice_id=invoice.id)
            .execution_options(synchronize_session=False)
        )
        if taken.rowcount != len(entries):  # type: ignore[attr-defined]
            raise conflict("some of these work entries were invoiced meanwhile")
    await publish(
        session,
        principal,
        InvoiceDrafted(
            invoice_id=invoice.id,
            client_id=client.id,
            total=summed.total,
            currency=currency,
            work_entry_ids=[e.id for e in entries],
        ),
    )
    return invoice


@router.post("", response_model=InvoiceOut, status_code=201)
async def create_invoice(
    body: InvoiceIn,
    principal: WritingPrincipal,
    db: Db,
    idempotency_key: idempotency.IdempotencyKey = None,
) -> Any:
    scope = "POST /api/v1/invoices"
    body_hash = idempotency.request_hash(body.model_dump(mode="json", by_alias=True))
    async with db.transaction() as session:
        stored = await idempotency.replay(
            session, principal.workspace_id, scope, idempotency_key, body_hash
        )
        if stored is not None:
            return JSONResponse(stored.body, status_code=stored.status_code)
        invoice = await _draft(session, body, principal)
        out = await full(session, invoice)
        await idempotency.remember(
            session,
            principal.workspace_id,
            scope,
            idempotency_key,
            body_hash,
            201,
            out.model_dump(mode="json"),
        )
        return out


ListStatus = Literal["draft", "issued", "partially_paid", "paid", "cancelled"]


@dataclass
class InvoiceFilters:
    """Filters shared by the list and its totals, so the totals always describe the list."""

    client_id: UUID | None = None
    status: ListStatus | None = None
    overdue: Annotated[bool | None, Query(description="true: unpaid after the due date")] = None
    issued_from: Annotated[
        date | None, Query(alias="from", description="Issued on or after this day")
    ] = None
    issued_to: Annotated[
        date | None, Query(alias="to", description="Issued on or before this day")
    ] = None

    def where(self, stmt: Select[Any], workspace_id: UUID) -> Select[Any]:
        stmt = stmt.where(Invoice.workspace_id == workspace_id)
        if self.client_id:
            stmt = stmt.where(Invoice.client_id == self.client_id)
        if self.status:
            stmt = stmt.where(Invoice.status == self.status)
        if self.overdue is True:
            stmt = stmt.where(Invoice.status.in_(AWAITING_PAYMENT), Invoice.due_date < today())
        elif self.overdue is False:
            stmt = stmt.where(
                ~(Invoice.status.in_(AWAITING_PAYMENT) & (Invoice.due_date < today()))
            )
        # A date range selects issued invoices: a draft has no issue date yet.
        if self.issued_from:
            stmt = stmt.where(Invoice.issue_date >= self.issued_from)
        if self.issued_to:
            stmt = stmt.where(Invoice.issue_date <= self.issued_to)
        return stmt


Filters = Annotated[InvoiceFilters, Depends()]


@router.get("", response_model=Page[InvoiceSummary])
async def list_invoices(
    principal: CurrentPrincipal,
    db: Db,
    filters: Filters,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Page[InvoiceSummary]:
    stmt = filters.where(select(Invoice), principal.workspace_id)
    async with db.sessions() as session:
        rows, next_cursor = await keyset_page(
            session, stmt, [Invoice.created_at, Invoice.id], limit=limit, cursor=cursor
        )
    return Page(items=[summary(r) for r in rows], next_cursor=next_cursor)


class CurrencyTotals(BaseModel):
    currency: str
    count: int = Field(description="Invoices summed")
    total: DecimalString = Field(description="Their totals, VAT included")
    paid: DecimalString = Field(description="What has been paid of them")
    outstanding: DecimalString = Field(description="What is still awaited")


class InvoiceTotals(BaseModel):
    currencies: list[CurrencyTotals]


@router.get("/totals", response_model=InvoiceTotals)
async def invoice_totals(principal: CurrentPrincipal, db: Db, filters: Filters) -> InvoiceTotals:
    """Totals per currency of every invoice the same filters list, over all pages.

    Cancelled invoices are left out unless ``status=cancelled`` asks for them: they are
    not money anyone owes.
    """
    awaited = Invoice.status.in_(AWAITING_PAYMENT) & (Invoice.total > Invoice.paid_total)
    outstanding = type_coerce(
        case((awaited, Invoice.total - Invoice.paid_total), else_=literal(Decimal(0), Money())),
        Money(),
    )
    stmt = select(
        Invoice.currency,
        func.count(Invoice.id),
        type_coerce(func.coalesce(func.sum(Invoice.total), 0), Money()),
        type_coerce(func.coalesce(func.sum(Invoice.paid_total), 0), Money()),
        type_coerce(func.coalesce(func.sum(outstanding), 0), Money()),
    )
    stmt = filters.where(stmt, principal.workspace_id)
    if filters.status != "cancelled":
        stmt = stmt.where(Invoice.status != "cancelled")
    stmt = stmt.group_by(Invoice.currency).order_by(Invoice.currency)
    async with db.sessions() as session:
        rows = (await session.execute(stmt)).all()
    return InvoiceTotals(
        currencies=[
            CurrencyTotals(
                currency=currency,
                count=count,
                total=at_currency_precision(Decimal(total), currency),
                paid=at_currency_precision(Decimal(paid), currency),
                outstanding=at_currency_precision(Decimal(owed), currency),
            )
            for currency, count, total, paid, owed in rows
        ]
    )


@router.get("/{invoice_id}", response_model=InvoiceOut)
async def get_invoice(invoice_id: UUID, principal: CurrentPrincipal, db: Db) -> InvoiceOut:
    async with db.sessions() as session:
        invoice = await owned(session, Invoice, invoice_id, principal.workspace_id, "invoice")
        return await full(session, invoice)


@router.post("/{invoice_id}/issue", response_model=InvoiceOut)
async def issue_invoice(
    invoice_id: UUID, principal: WritingPrincipal, db: Db, body: IssueIn | None = None
) -> InvoiceOut:
    async with db.transaction() as session:
        invoice = await owned(
            session, Invoice, invoice_id, principal.workspace_id, "invoice", lock=True
        )
        if invoice.status != "draft":
            raise conflict(f"the invoice is {invoice.status}; only a draft can be issued")
        supplier = await session.get(SupplierProfile, principal.workspace_id)
        if supplier is None:
            raise conflict("set up the supplier profile (PUT /api/v1/supplier) before issuing")
        if invoice.total <= 0:
            raise unprocessable("an invoice with a zero total cannot be issued")
        issued_on = (body.issue_date if body else None) or today()
        seq = await next_sequence(session, principal.workspace_id, issued_on.year)
        invoice.number = format_number(supplier.number_format, issued_on.year, seq)
        invoice.variable_symbol = variable_symbol(invoice.number)
        invoice.status = "issued"
        invoice.issue_date = issued_on
        invoice.due_date = issued_on + timedelta(days=invoice.payment_terms_days)
        invoice.issued_at = utcnow()
        invoice.supplier = {name: getattr(supplier, name) for name in SUPPLIER_SNAPSHOT}
        await session.flush()
        await publish(
            session,
            principal,
            InvoiceIssued(
                invoice_id=invoice.id,
                number=invoice.number,
                variable_symbol=invoice.variable_symbol,
                client_id=invoice.client_id,
                client_name=str(invoice.client["name"]),
                total=invoice.total,
                currency=invoice.currency,
                issue_date=issued_on,
                due_date=invoice.due_date,
            ),
        )
        return await full(session, invoice)


async def _release_entries(session: AsyncSession, invoice: Invoice) -> None:
    await session.execute(
        update(WorkEntry)
        .where(WorkEntry.invoice_id == invoice.id, WorkEntry.workspace_id == invoice.workspace_id)
        .values(invoice_id=None)
        .execution_options(synchronize_session=False)
    )


@router.post("/{invoice_id}/cancel", response_model=InvoiceOut)
async def cancel_invoice(invoice_id: UUID, principal: WritingPrincipal, db: Db) -> InvoiceOut:
    """Cancel an issued invoice: it keeps its number, and its work entries are unbilled again."""
    async with db.transaction() as session:
        invoice = await owned(
            session, Invoice, invoice_id, principal.workspace_id, "invoice", lock=True
        )
        if invoice.status == "draft":
            raise conflict("a draft has no number to cancel; delete it instead")
        if invoice.status not in AWAITING_PAYMENT:
            raise conflict(f"the invoice is {invoice.status} and cannot be cancelled")
        invoice.status = "cancelled"
        invoice.cancelled_at = utcnow()
        await _release_entries(session, invoice)
        assert invoice.number is not None
        await publish(
            session, principal, InvoiceCancelled(invoice_id=invoice.id, number=invoice.number)
        )
        return await full(session, invoice)


@router.delete("/{invoice_id}", status_code=204)
async def delete_draft(invoice_id: UUID, principal: WritingPrincipal, db: Db) -> Response:
    async with db.transaction() as session:
        invoice = await owned(
            session, Invoice, invoice_id, principal.workspace_id, "invoice", lock=True
        )
        if invoice.status != "draft":
            raise conflict("only a draft can be deleted; cancel an issued invoice instead")
        await _release_entries(session, invoice)
        await session.execute(delete(InvoiceLine).where(InvoiceLine.invoice_id == invoice.id))
        await session.delete(invoice)
        await publish(
            session,
            principal,
            InvoiceDraftDeleted(invoice_id=invoice.id, client_id=invoice.client_id),
        )
    return Response(status_code=204)


class LinePatch(BaseModel):
    """What a draft's line may change; quantities and prices follow the work they bill."""

    model_config = ConfigDict(extra="forbid")

    description: Annotated[str | None, Field(min_length=1, max_length=2000)] = None
    vat_rate: VatRate | None = None


@router.patch("/{invoice_id}/lines/{line_id}", response_model=InvoiceOut)
async def update_draft_line(
    invoice_id: UUID, line_id: UUID, body: LinePatch, principal: WritingPrincipal, db: Db
) -> InvoiceOut:
    """Change a draft line's description or VAT rate (e.g. 0 % for a reverse-charge item)."""
    async with db.transaction() as session:
        invoice = await owned(
            session, Invoice, invoice_id, principal.workspace_id, "invoice", lock=True
        )
        if invoice.status != "draft":
            raise conflict("only a draft's lines can change")
        rows = await invoice_lines(session, invoice.id)
        line = next((r for r in rows if r.id == line_id), None)
        if line is None:
            raise not_found("invoice line")
        before = {f"lines.{line.position}.{k}": plain(getattr(line, k)) for k in LINE_FIELDS}
        if body.description is not None:
            line.description = body.description
        if body.vat_rate is not None:
            line.vat_rate = body.vat_rate
        after = {f"lines.{line.position}.{k}": plain(getattr(line, k)) for k in LINE_FIELDS}
        summed = totals(as_domain_lines(rows), invoice.currency)
        invoice.subtotal, invoice.vat_total, invoice.total = (
            summed.subtotal,
            summed.vat_total,
            summed.total,
        )
        changes = diff(before, after)
        if changes:
            await publish(
                session,
                principal,
                InvoiceDraftUpdated(
                    invoice_id=invoice.id,
                    total=invoice.total,
                    currency=invoice.currency,
                    changes=changes,
                ),
            )
        await session.flush()
        return await full(session, invoice)
