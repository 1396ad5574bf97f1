"""The invoice as the API shows it: header, lines, VAT summary, payments, derived overdue."""

from datetime import UTC, date, datetime
from decimal import Decimal
from uuid import UUID

from pydantic import BaseModel, Field, field_validator
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kasa_contracts.types import DecimalString
from kasa_invoicing.db.invoices import domain_lines, invoice_lines
from kasa_invoicing.db.tables import Invoice, Payment
from kasa_invoicing.domain.lifecycle import is_overdue, outstanding
from kasa_invoicing.domain.logo import is_safe_logo_url
from kasa_invoicing.domain.pricing import totals
from kasa_servicekit.money import at_currency_precision


class LineOut(BaseModel):
    id: UUID
    position: int
    description: str
    quantity: DecimalString
    unit: str
    unit_price: DecimalString
    vat_rate: DecimalString
    net_amount: DecimalString
    work_entry_ids: list[UUID]


class VatRowOut(BaseModel):
    rate: DecimalString
    base: DecimalString
    vat: DecimalString


class PaymentOut(BaseModel):
    match_id: UUID
    transaction_id: UUID
    amount: DecimalString
    currency: str
    paid_on: date
    removed: bool


class InvoiceSummary(BaseModel):
    id: UUID
    client_id: UUID
    client_name: str
    number: str | None = Field(description="Given when the invoice is issued")
    variable_symbol: str | None
    status: str
    overdue: bool = Field(description="Awaiting payment after its due date")
    currency: str
    language: str
    issue_date: date | None
    due_date: date | None
    payment_terms_days: int
    subtotal: DecimalString
    vat_total: DecimalString
    total: DecimalString
    paid_total: DecimalString
    outstanding: DecimalString
    paid_on: date | None
    note: str | None
    created_at: datetime
    issued_at: datetime | None
    cancelled_at: datetime | None


class PartyOut(BaseModel):
    """Who an invoice is from or to, as it was when the invoice was drafted or issued."""

    name: str | None = None
    address: str | None = None
    country: str | None = None
    email: str | None = None
    company_id: str | None = None
    vat_id: str | None = None
    iban: str | None = None
    bic: str | None = None
    vat_payer: bool | None = None
    logo_url: str | None = None

    @field_validator("logo_url")
    @classmethod
    def _logo(cls, value: str | None) -> str | None:
        # A snapshot taken before logo addresses were checked may hold a hostile one.
        return value if is_safe_logo_url(value) else None


class InvoiceOut(InvoiceSummary):
    supplier: PartyOut = Field(description="The supplier as issued; empty on a draft")
    client: PartyOut = Field(description="The client as drafted")
    lines: list[LineOut]
    vat_summary: list[VatRowOut]
    payments: list[PaymentOut]


def today() -> date:
    return datetime.now(UTC).date()


def summary(invoice: Invoice) -> InvoiceSummary:
    def money(amount: Decimal) -> Decimal:
        return at_currency_precision(amount, invoice.currency)

    return InvoiceSummary(
        id=invoice.id,
        client_id=invoice.client_id,
        client_name=str(invoice.client.get("name", "")),
        number=invoice.number,
        variable_symbol=invoice.variable_symbol,
        status=invoice.status,
        overdue=is_overdue(invoice.status, invoice.due_date, today()),
        currency=invoice.currency,
        language=invoice.language,
        issue_date=invoice.issue_date,
        due_date=invoice.due_date,
        payment_terms_days=invoice.payment_terms_days,
        subtotal=money(invoice.subtotal),
        vat_total=money(invoice.vat_total),
        total=money(invoice.total),
        paid_total=money(invoice.paid_total),
        outstanding=money(outstanding(invoice.status, invoice.total, invoice.paid_total)),
        paid_on=invoice.paid_on,
        note=invoice.note,
        created_at=invoice.created_at,
        issued_at=invoice.issued_at,
        cancelled_at=invoice.cancelled_at,
    )


async def full(session: AsyncSession, invoice: Invoice) -> InvoiceOut:
    """The whole invoice, read in the caller's session."""
    rows = await invoice_lines(session, invoice.id)
    payments = list(
        await session.scalars(
            select(Payment).where(Payment.invoice_id == invoice.id).order_by(Payment.recorded_at)
        )
    )
    cur = invoice.currency
    vat = totals(domain_lines(rows), cur).vat_summary
    known = set(PartyOut.model_fields)
    return InvoiceOut(
        **summary(invoice).model_dump(),
        supplier=PartyOut(**{k: v for k, v in (invoice.supplier or {}).items() if k in known}),
        client=PartyOut(**{k: v for k, v in (invoice.client or {}).items() if k in known}),
        lines=[
            LineOut(
                id=r.id,
                position=r.position,
                description=r.description,
                quantity=r.quantity.normalize(),
                unit=r.unit,
                unit_price=at_currency_precision(r.unit_price, cur),
                vat_rate=r.vat_rate.normalize(),
                net_amount=at_currency_precision(r.net_amount, cur),
                work_entry_ids=[UUID(i) for i in r.work_entry_ids],
            )
            for r in rows
        ],
        vat_summary=[
            VatRowOut(
                rate=v.rate.normalize(),
                base=at_currency_precision(v.base, cur),
                vat=at_currency_precision(v.vat, cur),
            )
            for v in vat
        ],
        payments=[
            PaymentOut(
                match_id=p.match_id,
                transaction_id=p.transaction_id,
                amount=at_currency_precision(p.amount, p.currency),
                currency=p.currency,
                paid_on=p.paid_on,
                removed=p.removed_at is not None,
            )
            for p in payments
        ],
    )
