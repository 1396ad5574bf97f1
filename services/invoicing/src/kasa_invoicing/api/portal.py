"""GET /portal/{token}: one shared invoice for the client, public, nothing else of the workspace.

Unknown, revoked and expired tokens all get the same 404 page, so a token cannot be probed.
Every view is recorded on the link and published for the audit trail.
"""

import base64
import io

from fastapi import APIRouter, Response
from fastapi.responses import HTMLResponse

from kasa_invoicing.app import documents, sharing
from kasa_invoicing.db.invoices import InvoiceRows
from kasa_invoicing.db.sharing import PortalRows
from kasa_invoicing.domain.lifecycle import is_overdue
from kasa_invoicing.domain.payment_qr import optional_qr
from kasa_invoicing.pdf.document import pdf_filename
from kasa_invoicing.pdf.labels import labels
from kasa_invoicing.pdf.render import render_template
from kasa_servicekit.db import utcnow
from kasa_servicekit.service import Db, Events

router = APIRouter(prefix="/portal", tags=["portal"], include_in_schema=False)

_PRIVATE = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Robots-Tag": "noindex, nofollow",
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "default-src 'none'; img-src data:; style-src 'unsafe-inline'",
}
_NOT_FOUND = (
    "<!DOCTYPE html><html><head><meta charset='utf-8'><title>Not found</title></head>"
    "<body><p>This link does not lead to an invoice.</p></body></html>"
)


def _not_found() -> HTMLResponse:
    return HTMLResponse(_NOT_FOUND, status_code=404, headers=_PRIVATE)


@router.get("/{token}", response_class=HTMLResponse)
async def portal_page(token: str, db: Db, events: Events) -> Response:
    async with db.transaction() as session:
        invoice = await sharing.view(PortalRows(session), events, token, "page")
        if invoice is None:
            return _not_found()
        document = await documents.document(InvoiceRows(session, invoice.workspace_id), invoice)
    qr = optional_qr(invoice)
    qr_svg = None
    if qr is not None:
        buffer = io.BytesIO()
        qr.code.save(buffer, kind="svg", scale=5, border=2, xmldecl=False)
        qr_svg = base64.b64encode(buffer.getvalue()).decode()
    t = labels(invoice.language)
    status = (
        t["overdue"]
        if is_overdue(invoice.status, invoice.due_date, utcnow().date())
        else (t[f"status_{invoice.status}"])
    )
    html = render_template(
        "portal.html", doc=document, t=t, status=status, qr_svg=qr_svg, pdf_url=f"{token}/pdf"
    )
    return HTMLResponse(html, headers=_PRIVATE)


@router.get("/{token}/pdf")
async def portal_pdf(token: str, db: Db, events: Events) -> Response:
    async with db.transaction() as session:
        invoice = await sharing.view(PortalRows(session), events, token, "pdf")
        if invoice is None:
            return _not_found()
        document = await documents.document(InvoiceRows(session, invoice.workspace_id), invoice)
    # Rendered after the commit: the view's row lock is not held while the PDF takes shape.
    pdf = await documents.render(document)
    return Response(
        pdf,
        media_type="application/pdf",
        headers={
            **_PRIVATE,
            "Content-Disposition": f'attachment; filename="{pdf_filename(invoice)}"',
        },
    )
