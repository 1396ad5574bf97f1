"""/api/v1/invoices: drafts from unbilled work, issuing with gap-free numbers, cancelling."""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Annotated, Any, Literal
from uuid import UUID

from fastapi import APIRouter, Depends, Query, Response
from pydantic import BaseModel, ConfigDict, Field, model_validator
from sqlalchemy import Select, case, func, literal, select, type_coerce

from kasa_contracts.types import DecimalString, PositiveAmount
from kasa_invoicing.api.bodies import values
from kasa_invoicing.api.invoice_views import (
    InvoiceOut,
    InvoiceSummary,
    full,
    summary,
    today,
)
from kasa_invoicing.app import invoices
from kasa_invoicing.db.invoices import InvoiceRows
from kasa_invoicing.db.tables import Invoice
from kasa_invoicing.domain.lifecycle import AWAITING_PAYMENT
from kasa_invoicing.domain.pricing import Grouping
from kasa_servicekit.auth import AdminPrincipal, CurrentPrincipal, MemberPrincipal
from kasa_servicekit.db import Money
from kasa_servicekit.idempotency import IdempotencyKey, Once
from kasa_servicekit.money import at_currency_precision
from kasa_servicekit.pagination import Cursor, Limit, Page, keyset_page
from kasa_servicekit.service import Db, Events

router = APIRouter(prefix="/api/v1/invoices", tags=["invoices"])

VatRate = Annotated[DecimalString, Field(ge=0, le=100, decimal_places=2)]


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


def _draft(body: InvoiceIn) -> invoices.Draft:
    return invoices.Draft(
        client_id=body.client_id,
        work_entry_ids=body.work_entry_ids,
        project_id=body.project_id,
        date_from=body.date_from,
        date_to=body.date_to,
        grouping=body.grouping,
        vat_rate=body.vat_rate,
        extra_lines=[invoices.ExtraItem(**values(x)) for x in body.extra_lines],
        payment_terms_days=body.payment_terms_days,
        note=body.note,
    )


@router.post("", response_model=InvoiceOut, status_code=201)
async def create_invoice(
    body: InvoiceIn,
    principal: MemberPrincipal,
    db: Db,
    events: Events,
    idempotency_key: IdempotencyKey = None,
) -> Any:
    once = Once.of(
        principal.workspace_id,
        "POST /api/v1/invoices",
        idempotency_key,
        body.model_dump(mode="json", by_alias=True),
    )
    async with db.transaction() as session:
        if (replayed := await once.replayed(session)) is not None:
            return replayed
        invoice = await invoices.draft(
            InvoiceRows(session, principal.workspace_id), events, principal, _draft(body)
        )
        out = await full(session, invoice)
        return await once.remember(session, out.model_dump(mode="json"))


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
        store = InvoiceRows(session, principal.workspace_id)
        return await full(session, await store.owned(Invoice, invoice_id, "invoice"))


@router.post("/{invoice_id}/issue", response_model=InvoiceOut)
async def issue_invoice(
    invoice_id: UUID,
    principal: MemberPrincipal,
    db: Db,
    events: Events,
    body: IssueIn | None = None,
) -> InvoiceOut:
    async with db.transaction() as session:
        invoice = await invoices.issue(
            InvoiceRows(session, principal.workspace_id),
            events,
            principal,
            invoice_id,
            body.issue_date if body else None,
        )
        return await full(session, invoice)


@router.post("/{invoice_id}/cancel", response_model=InvoiceOut)
async def cancel_invoice(
    invoice_id: UUID, principal: AdminPrincipal, db: Db, events: Events
) -> InvoiceOut:
    """Cancel an issued invoice: it keeps its number, and its work entries are unbilled again."""
    async with db.transaction() as session:
        store = InvoiceRows(session, principal.workspace_id)
        invoice = await invoices.cancel(store, events, principal, invoice_id)
        return await full(session, invoice)


@router.delete("/{invoice_id}", status_code=204)
async def delete_draft(
    invoice_id: UUID, principal: MemberPrincipal, db: Db, events: Events
) -> Response:
    async with db.transaction() as session:
        store = InvoiceRows(session, principal.workspace_id)
        await invoices.delete_draft(store, events, principal, invoice_id)
    return Response(status_code=204)


class LinePatch(BaseModel):
    """What a draft's line may change; quantities and prices follow the work they bill."""

    model_config = ConfigDict(extra="forbid")

    description: Annotated[str | None, Field(min_length=1, max_length=2000)] = None
    vat_rate: VatRate | None = None


@router.patch("/{invoice_id}/lines/{line_id}", response_model=InvoiceOut)
async def update_draft_line(
    invoice_id: UUID,
    line_id: UUID,
    body: LinePatch,
    principal: MemberPrincipal,
    db: Db,
    events: Events,
) -> InvoiceOut:
    """Change a draft line's description or VAT rate (e.g. 0 % for a reverse-charge item)."""
    async with db.transaction() as session:
        store = InvoiceRows(session, principal.workspace_id)
        change = invoices.LineChange(description=body.description, vat_rate=body.vat_rate)
        invoice = await invoices.change_line(store, events, principal, invoice_id, line_id, change)
        return await full(session, invoice)
