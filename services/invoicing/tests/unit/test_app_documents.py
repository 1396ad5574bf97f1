"""An invoice's document and payment QR code from rows in memory, no database."""

import uuid
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from kasa_invoicing.app import documents
from kasa_invoicing.db.tables import Invoice, InvoiceLine
from kasa_invoicing.domain.errors import NotFound
from kasa_invoicing.domain.payment_qr import NothingToPay, QrRefused


@pytest.fixture
def invoice(rows):
    rows.supplier_profile()
    row = Invoice(
        id=uuid.uuid4(),
        workspace_id=rows.workspace_id,
        client_id=rows.client().id,
        number=None,
        variable_symbol=None,
        status="draft",
        currency="CZK",
        language="en",
        issue_date=None,
        due_date=None,
        payment_terms_days=14,
        subtotal=Decimal(1000),
        vat_total=Decimal(0),
        total=Decimal(1000),
        paid_total=Decimal(0),
        note=None,
        supplier={},
        client={"name": "Acme s.r.o."},
        created_at=datetime.now(UTC),
    )
    rows.add(row)
    rows.add(
        InvoiceLine(
            id=uuid.uuid4(),
            workspace_id=rows.workspace_id,
            invoice_id=row.id,
            position=1,
            description="Consulting",
            quantity=Decimal(1),
            unit="h",
            unit_price=Decimal(1000),
            vat_rate=Decimal(0),
            net_amount=Decimal(1000),
            work_entry_ids=[],
        )
    )
    return row


def issue(invoice, currency="CZK"):
    invoice.status, invoice.currency = "issued", currency
    invoice.number, invoice.variable_symbol = "2026-0001", "20260001"
    invoice.issue_date, invoice.due_date = date(2026, 3, 31), date(2026, 4, 14)
    invoice.supplier = {"name": "Jana Nováková", "iban": "CZ6508000000192000145399"}


async def test_a_draft_shows_todays_supplier_and_no_qr_code(rows, invoice):
    document = await documents.document(rows, invoice)
    assert document.supplier.name == "Jana Nováková" and document.number is None
    assert document.qr_png is None and [x.description for x in document.lines] == ["Consulting"]
    with pytest.raises(NothingToPay, match="issue the invoice first"):
        await documents.payment_qr(rows, invoice.id)


async def test_an_issued_invoice_is_paid_by_what_is_still_owed(rows, invoice):
    issue(invoice)
    invoice.paid_total = Decimal(400)
    qr = await documents.payment_qr(rows, invoice.id)
    assert qr.kind == "spayd" and "*AM:600.00*" in qr.payload and "*X-VS:20260001" in qr.payload
    assert (await documents.document(rows, invoice)).qr_png is not None


async def test_what_no_qr_code_can_carry_is_refused_with_the_reason(rows, invoice):
    issue(invoice, "USD")
    with pytest.raises(QrRefused, match="USD"):
        await documents.payment_qr(rows, invoice.id)
    invoice.status = "paid"
    with pytest.raises(NothingToPay, match="the invoice is paid"):
        await documents.payment_qr(rows, invoice.id)
    with pytest.raises(NotFound):
        await documents.payment_qr(rows, uuid.uuid4())
