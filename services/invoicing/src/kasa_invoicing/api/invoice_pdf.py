"""GET /api/v1/invoices/{id}/pdf: the invoice as a PDF in the client's language."""

from uuid import UUID

from fastapi import APIRouter, Response

from kasa_invoicing.api.downloads import content_disposition
from kasa_invoicing.app import documents
from kasa_invoicing.db.invoices import InvoiceRows
from kasa_invoicing.db.tables import Invoice
from kasa_invoicing.pdf.document import pdf_filename
from kasa_servicekit.auth import CurrentPrincipal
from kasa_servicekit.service import Db

router = APIRouter(prefix="/api/v1/invoices", tags=["invoices"])


@router.get("/{invoice_id}/pdf", responses={200: {"content": {"application/pdf": {}}}})
async def get_invoice_pdf(invoice_id: UUID, principal: CurrentPrincipal, db: Db) -> Response:
    async with db.sessions() as session:
        store = InvoiceRows(session, principal.workspace_id)
        invoice = await store.owned(Invoice, invoice_id, "invoice")
        pdf = await documents.pdf(store, invoice)
    return Response(
        pdf,
        media_type="application/pdf",
        headers={"Content-Disposition": content_disposition("inline", pdf_filename(invoice))},
    )
