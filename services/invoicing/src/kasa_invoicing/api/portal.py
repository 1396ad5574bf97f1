"""GET /portal/{token}: one shared invoice for the client, public, nothing else of the workspace.

Unknown, revoked and expired tokens all get the same 404 page, so a token cannot be probed.
Every view is recorded on the link and published for the audit trail.
"""

import asyncio
import base64
import io
from typing import Literal

from fastapi import APIRouter, Response
from fastapi.responses import HTMLResponse
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kasa_contracts import Actor
from kasa_contracts.events.invoicing import InvoicePortalViewed
from kasa_invoicing.api.sharing import token_hash
from kasa_invoicing.db.tables import Invoice, ShareLink
from kasa_invoicing.domain.lifecycle import is_overdue
from kasa_invoicing.invoice_pdf import invoice_document, optional_qr, pdf_filename
from kasa_invoicing.pdf.labels import labels
from kasa_invoicing.pdf.render import invoice_pdf, render_template
from kasa_servicekit.db import utcnow
from kasa_servicekit.outbox import add_payloads
from kasa_servicekit.service import Db

router = APIRouter(prefix="/portal", tags=["portal"], include_in_schema=False)

PORTAL_ACTOR = Actor(type="system", id="client-portal", name="Client portal")
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


async def _viewed(
    session: AsyncSession, token: str, what: Literal["page", "pdf"]
) -> tuple[ShareLink, Invoice] | None:
    """The live link and its invoice, with this view recorded; None for any dead token."""
    if len(token) > 200:
        return None
    link = await session.scalar(
        select(ShareLink).where(ShareLink.token_hash == token_hash(token)).with_for_update()
    )
    now = utcnow()
    if link is None or link.revoked_at is not None:
        return None
    if link.expires_at is not None and link.expires_at <= now:
        return None
    invoice = await session.get(Invoice, link.invoice_id)
    if invoice is None or invoice.workspace_id != link.workspace_id:
        return None
    link.view_count += 1
    link.last_viewed_at = now
    payload = InvoicePortalViewed(invoice_id=invoice.id, share_id=link.id, what=what)
    await add_payloads(
        session, payload, producer="invoicing", workspace_id=link.workspace_id, actor=PORTAL_ACTOR
    )
    return link, invoice


@router.get("/{token}", response_class=HTMLResponse)
async def portal_page(token: str, db: Db) -> Response:
    async with db.transaction() as session:
        found = await _viewed(session, token, "page")
        if found is None:
            return _not_found()
        _, invoice = found
        document = await invoice_document(session, invoice)
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
async def portal_pdf(token: str, db: Db) -> Response:
    async with db.transaction() as session:
        found = await _viewed(session, token, "pdf")
        if found is None:
            return _not_found()
        _, invoice = found
        document = await invoice_document(session, invoice)
    pdf = await asyncio.to_thread(invoice_pdf, document)
    return Response(
        pdf,
        media_type="application/pdf",
        headers={
            **_PRIVATE,
            "Content-Disposition": f'attachment; filename="{pdf_filename(invoice)}"',
        },
    )
