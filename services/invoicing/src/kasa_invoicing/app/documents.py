"""An invoice as its reader gets it: the formatted document, its PDF, its payment QR code."""

import asyncio
from typing import Protocol
from uuid import UUID

from kasa_invoicing.app.store import Store
from kasa_invoicing.db.tables import Invoice, InvoiceLine, SupplierProfile
from kasa_invoicing.domain.payment_qr import PaymentQr, invoice_qr, optional_qr
from kasa_invoicing.pdf.document import InvoiceDocument, build_document
from kasa_invoicing.pdf.render import invoice_pdf

SUPPLIER_FIELDS = ("name", "address", "company_id", "vat_id", "iban", "bic", "vat_payer")


class DocumentStore(Store, Protocol):
    async def lines(self, invoice: Invoice) -> list[InvoiceLine]: ...

    async def supplier(self) -> SupplierProfile | None: ...


async def document(store: DocumentStore, invoice: Invoice) -> InvoiceDocument:
    """The invoice formatted in its language, with a QR code when one can pay it."""
    lines = await store.lines(invoice)
    fallback = None
    if not invoice.supplier:
        # A draft has no supplier snapshot yet: show the profile as it is now.
        profile = await store.supplier()
        if profile is not None:
            fallback = {name: getattr(profile, name) for name in SUPPLIER_FIELDS}
    return build_document(invoice, lines, optional_qr(invoice), fallback)


async def render(doc: InvoiceDocument) -> bytes:
    """The document as PDF, rendered off the event loop (rendering takes CPU, not I/O)."""
    return await asyncio.to_thread(invoice_pdf, doc)


async def pdf(store: DocumentStore, invoice: Invoice) -> bytes:
    return await render(await document(store, invoice))


async def payment_qr(store: Store, invoice_id: UUID) -> PaymentQr:
    """The QR code that pays what is still owed on the workspace's invoice."""
    return invoice_qr(await store.owned(Invoice, invoice_id, "invoice"))
