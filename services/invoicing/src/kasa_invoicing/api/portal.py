"""GET /portal/{token}: one shared invoice for the client, public, nothing else of the workspace.

Unknown, revoked and expired tokens all get the same 404 page, so a token cannot be probed.
Every view is recorded on the link and published for the audit trail. Views are rate limited
per link and per client address (429 with ``Retry-After``), counted before the token is looked
up, and a PDF is rendered once per content of the invoice (``app/documents.py``).
"""

import base64
import hashlib
import io
from dataclasses import dataclass

from fastapi import APIRouter, FastAPI, Request, Response
from fastapi.responses import HTMLResponse

from kasa_invoicing.api.downloads import content_disposition
from kasa_invoicing.app import documents, sharing
from kasa_invoicing.db.invoices import InvoiceRows
from kasa_invoicing.db.sharing import PortalRows
from kasa_invoicing.domain.lifecycle import is_overdue
from kasa_invoicing.domain.payment_qr import optional_qr
from kasa_invoicing.pdf.document import pdf_filename
from kasa_invoicing.pdf.labels import labels
from kasa_invoicing.pdf.render import render_template
from kasa_servicekit.db import utcnow
from kasa_servicekit.problems import ProblemError
from kasa_servicekit.rate_limits import RateLimiter
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


@dataclass
class PortalLimits:
    """This instance's budgets of portal views: per link, and per client address."""

    per_link: RateLimiter
    per_address: RateLimiter
    link_days: int
    """Days a link stored without an expiry keeps working after it was made."""


def install(app: FastAPI) -> None:
    """Give the app its portal limits, from its settings."""
    settings = app.state.runtime.settings
    app.state.portal_limits = PortalLimits(
        per_link=RateLimiter(settings.portal_views_per_link),
        per_address=RateLimiter(settings.portal_views_per_address),
        link_days=settings.portal_link_days,
    )


def client_address(request: Request) -> str:
    """The address the gateway saw the request come from (it sets ``X-Forwarded-For`` to that
    one address), else the socket peer for a request that reached invoicing directly."""
    forwarded = request.headers.get("x-forwarded-for", "")
    hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
    if hops:
        return hops[-1][:64]
    return request.client.host if request.client else "unknown"


def _admitted(request: Request, token: str) -> PortalLimits:
    """The limits, once this view fits both budgets; a 429 problem otherwise."""
    limits: PortalLimits = request.app.state.portal_limits
    # Keyed by a digest: the limiter never holds a token, and any length costs the same.
    link_key = hashlib.sha256(token.encode()).hexdigest()
    for decision in (
        limits.per_address.hit(client_address(request)),
        limits.per_link.hit(link_key),
    ):
        if not decision.allowed:
            raise ProblemError(
                429,
                "Too Many Requests",
                "too many views of the portal; try again later",
                headers={**_PRIVATE, "Retry-After": str(decision.retry_after)},
            )
    return limits


@router.get("/{token}", response_class=HTMLResponse)
async def portal_page(token: str, db: Db, events: Events, request: Request) -> Response:
    limits = _admitted(request, token)
    async with db.transaction() as session:
        invoice = await sharing.view(
            PortalRows(session), events, token, "page", default_days=limits.link_days
        )
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
async def portal_pdf(token: str, db: Db, events: Events, request: Request) -> Response:
    limits = _admitted(request, token)
    async with db.transaction() as session:
        invoice = await sharing.view(
            PortalRows(session), events, token, "pdf", default_days=limits.link_days
        )
        if invoice is None:
            return _not_found()
        document = await documents.document(InvoiceRows(session, invoice.workspace_id), invoice)
    # Rendered after the commit: the view's row lock is not held while the PDF takes shape.
    pdf = await documents.render(document, invoice.id)
    return Response(
        pdf,
        media_type="application/pdf",
        headers={
            **_PRIVATE,
            "Content-Disposition": content_disposition("attachment", pdf_filename(invoice)),
        },
    )
