"""An invoice's PDF: its document read from the database, rendered off the event loop."""

import asyncio

from sqlalchemy.ext.asyncio import AsyncSession

from kasa_invoicing.api.invoice_views import invoice_lines
from kasa_invoicing.db.tables import Invoice, SupplierProfile
from kasa_invoicing.invoice_qr import PaymentQr, payment_qr
from kasa_invoicing.pdf.document import InvoiceDocument, build_document
from kasa_invoicing.pdf.render import invoice_pdf
from kasa_servicekit.problems import ProblemError

SUPPLIER_FIELDS = ("name", "address", "company_id", "vat_id", "iban", "bic", "vat_payer")


def optional_qr(invoice: Invoice) -> PaymentQr | None:
    """The payment QR code when the invoice can be paid by one, else none (no error)."""
    try:
        return payment_qr(invoice)
    except ProblemError:
        return None


async def invoice_document(session: AsyncSession, invoice: Invoice) -> InvoiceDocument:
    lines = await invoice_lines(session, invoice.id)
    fallback = None
    if not invoice.supplier:
        # A draft has no supplier snapshot yet: show the profile as it is now.
        profile = await session.get(SupplierProfile, invoice.workspace_id)
        if profile is not None:
            fallback = {name: getattr(profile, name) for name in SUPPLIER_FIELDS}
    return build_document(invoice, lines, optional_qr(invoice), fallback)


async def render_invoice_pdf(session: AsyncSession, invoice: Invoice) -> bytes:
    document = await invoice_document(session, invoice)
    return await asyncio.to_thread(invoice_pdf, document)


def pdf_filename(invoice: Invoice) -> str:
    name = (invoice.number or f"draft-{invoice.id}").replace("/", "-")
    return f"invoice-{name}.pdf"
