"""An invoice as its reader sees it: every value formatted for the client's language."""

import base64
import io
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from babel.dates import format_date
from babel.numbers import format_decimal, format_percent

from kasa_invoicing.db.tables import Invoice, InvoiceLine
from kasa_invoicing.domain.payment_qr import PaymentQr
from kasa_invoicing.domain.pricing import Line, totals
from kasa_invoicing.pdf.labels import LOCALES, labels
from kasa_servicekit.money import money_text


@dataclass(frozen=True)
class Party:
    name: str
    address_lines: list[str]
    company_id: str | None = None
    vat_id: str | None = None
    iban: str | None = None
    bic: str | None = None
    vat_payer: bool = True


@dataclass(frozen=True)
class DocumentLine:
    description: str
    quantity: str
    unit_price: str
    vat_rate: str
    net_amount: str


@dataclass(frozen=True)
class DocumentVatRow:
    rate: str
    base: str
    vat: str


@dataclass(frozen=True)
class InvoiceDocument:
    language: str
    status: str
    number: str | None
    variable_symbol: str | None
    issue_date: str | None
    due_date: str | None
    supplier: Party
    client: Party
    lines: list[DocumentLine]
    vat_summary: list[DocumentVatRow]
    subtotal: str
    vat_total: str
    total: str
    paid: str | None
    outstanding: str
    note: str | None
    qr_png: str | None = field(default=None, repr=False)
    """The payment QR code as base64 PNG, when the invoice can be paid by one."""


class Formatter:
    """Numbers, money and dates in one locale; amounts keep every digit they have."""

    def __init__(self, language: str, currency: str) -> None:
        self.locale = LOCALES.get(language, LOCALES["en"])
        self.currency = currency

    def money(self, amount: Decimal) -> str:
        return money_text(amount, self.currency, self.locale, every_digit=True)

    def number(self, value: Decimal) -> str:
        return format_decimal(value.normalize(), locale=self.locale, decimal_quantization=False)

    def percent(self, rate: Decimal) -> str:
        return format_percent(rate / 100, locale=self.locale, decimal_quantization=False)

    def date(self, value: date | None) -> str | None:
        return format_date(value, "medium", locale=self.locale) if value else None


def _party(data: dict[str, Any]) -> Party:
    address = str(data.get("address") or "")
    return Party(
        name=str(data.get("name") or ""),
        address_lines=[line for line in address.splitlines() if line.strip()],
        company_id=data.get("company_id"),
        vat_id=data.get("vat_id"),
        iban=data.get("iban"),
        bic=data.get("bic"),
        vat_payer=bool(data.get("vat_payer", True)),
    )


def pdf_filename(invoice: Invoice) -> str:
    name = (invoice.number or f"draft-{invoice.id}").replace("/", "-")
    return f"invoice-{name}.pdf"


def build_document(
    invoice: Invoice,
    lines: list[InvoiceLine],
    qr: PaymentQr | None,
    supplier_fallback: dict[str, Any] | None = None,
) -> InvoiceDocument:
    """The formatted invoice; ``supplier_fallback`` stands in for a draft's missing snapshot."""
    fmt = Formatter(invoice.language, invoice.currency)
    t = labels(invoice.language)
    summary = totals(
        [
            Line(r.description, r.quantity, r.unit, r.unit_price, r.vat_rate, r.net_amount)
            for r in lines
        ],
        invoice.currency,
    )
    qr_png = None
    if qr is not None:
        buffer = io.BytesIO()
        qr.code.save(buffer, kind="png", scale=5, border=2)
        qr_png = base64.b64encode(buffer.getvalue()).decode()
    outstanding = max(invoice.total - invoice.paid_total, Decimal(0))
    return InvoiceDocument(
        language=invoice.language,
        status=invoice.status,
        number=invoice.number,
        variable_symbol=invoice.variable_symbol,
        issue_date=fmt.date(invoice.issue_date),
        due_date=fmt.date(invoice.due_date),
        supplier=_party(invoice.supplier or supplier_fallback or {}),
        client=_party(invoice.client),
        lines=[
            DocumentLine(
                description=r.description,
                quantity=f"{fmt.number(r.quantity)} {t.get('unit_' + r.unit, r.unit)}",
                unit_price=fmt.money(r.unit_price),
                vat_rate=fmt.percent(r.vat_rate),
                net_amount=fmt.money(r.net_amount),
            )
            for r in lines
        ],
        vat_summary=[
            DocumentVatRow(fmt.percent(v.rate), fmt.money(v.base), fmt.money(v.vat))
            for v in summary.vat_summary
        ],
        subtotal=fmt.money(invoice.subtotal),
        vat_total=fmt.money(invoice.vat_total),
        total=fmt.money(invoice.total),
        paid=fmt.money(invoice.paid_total) if invoice.paid_total else None,
        outstanding=fmt.money(outstanding),
        note=invoice.note,
        qr_png=qr_png,
    )
