"""An invoice as its reader gets it: the formatted document, its PDF, its payment QR code."""

import asyncio
import dataclasses
import hashlib
import json
from collections import OrderedDict
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


class RenderedPdfs:
    """PDFs rendered lately, by invoice and the digest of the document they show.

    The key is the document's whole content (amounts paid, status, QR code, every formatted
    field), so any change to what the reader would see renders anew, and an unchanged invoice
    is rendered once however often its portal link is opened. Concurrent requests for the
    same document wait for one render. Bounded by total size; the least recently used go.
    """

    def __init__(self, max_bytes: int = 64 * 1024 * 1024) -> None:
        self.max_bytes = max_bytes
        self.renders = 0
        """How many PDFs were rendered (not served from here) since the process started."""
        self._pdfs: OrderedDict[tuple[UUID, str], bytes] = OrderedDict()
        self._size = 0
        self._rendering: dict[tuple[UUID, str], asyncio.Future[bytes]] = {}

    @staticmethod
    def key(invoice_id: UUID, doc: InvoiceDocument) -> tuple[UUID, str]:
        content = json.dumps(dataclasses.asdict(doc), sort_keys=True, default=str)
        return invoice_id, hashlib.sha256(content.encode()).hexdigest()

    async def get(self, invoice_id: UUID, doc: InvoiceDocument) -> bytes:
        key = self.key(invoice_id, doc)
        if (found := self._pdfs.get(key)) is not None:
            self._pdfs.move_to_end(key)
            return found
        if (running := self._rendering.get(key)) is not None:
            return await asyncio.shield(running)
        future: asyncio.Future[bytes] = asyncio.get_running_loop().create_future()
        self._rendering[key] = future
        try:
            self.renders += 1
            rendered = await asyncio.to_thread(invoice_pdf, doc)
        except asyncio.CancelledError:
            future.cancel()
            raise
        except Exception as exc:
            future.set_exception(exc)
            future.exception()  # retrieved here, so a render nobody waited for is not logged
            raise
        finally:
            del self._rendering[key]
        future.set_result(rendered)
        self._keep(key, rendered)
        return rendered

    def _keep(self, key: tuple[UUID, str], rendered: bytes) -> None:
        if len(rendered) > self.max_bytes:
            return
        self._pdfs[key] = rendered
        self._size += len(rendered)
        while self._size > self.max_bytes:
            _, dropped = self._pdfs.popitem(last=False)
            self._size -= len(dropped)


RENDERED = RenderedPdfs()
"""This process's rendered PDFs; ``RENDERED.renders`` counts the renders."""


async def render(doc: InvoiceDocument, invoice_id: UUID) -> bytes:
    """The document as PDF, rendered off the event loop (rendering takes CPU, not I/O), once
    per content of the invoice (``RenderedPdfs``)."""
    return await RENDERED.get(invoice_id, doc)


async def pdf(store: DocumentStore, invoice: Invoice) -> bytes:
    return await render(await document(store, invoice), invoice.id)


async def payment_qr(store: Store, invoice_id: UUID) -> PaymentQr:
    """The QR code that pays what is still owed on the workspace's invoice."""
    return invoice_qr(await store.owned(Invoice, invoice_id, "invoice"))
