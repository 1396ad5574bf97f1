"""GET /api/v1/invoices/{id}/pdf: the invoice as a PDF in the client's language."""

from uuid import UUID

from fastapi import APIRouter, Response

from kasa_invoicing.db.tables import Invoice
from kasa_invoicing.invoice_pdf import pdf_filename, render_invoice_pdf
from kasa_servicekit.auth import CurrentPrincipal
from kasa_servicekit.scoping import owned
from kasa_servicekit.service import Db

router = APIRouter(prefix="/api/v1/invoices", tags=["invoices"])


@router.get("/{invoice_id}/pdf", responses={200: {"content": {"application/pdf": {}}}})
async def get_invoice_pdf(invoice_id: UUID, principal: CurrentPrincipal, db: Db) -> Response:
    async with db.sessions() as session:
        invoice = await owned(session, Invoice, invoice_id, principal.workspace_id, "invoice")
        pdf = await render_invoice_pdf(session, invoice)
    return Response(
        pdf,
        media_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="{pdf_filename(invoice)}"'},
    )
