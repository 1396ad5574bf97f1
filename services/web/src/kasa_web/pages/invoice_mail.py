"""Sending an invoice to its client: the mail's preview, the send, the sends so far, and the
workspace's overdue reminders."""

import base64
from typing import Any
from uuid import UUID

from fastapi import APIRouter, Request
from starlette.responses import HTMLResponse, Response

from kasa_web.api_client import ApiProblem
from kasa_web.errors import redirect
from kasa_web.forms import Form
from kasa_web.pages.common import ApiDep
from kasa_web.rendering import gettext as _
from kasa_web.rendering import render
from kasa_web.viewer import SignedIn, Viewer

router = APIRouter(include_in_schema=False)

PREVIEW_CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
    "frame-ancestors 'self'; base-uri 'none'; form-action 'none'"
)
"""The mail's own inline styles and nothing else: it is the client's mail, shown in a
sandboxed frame of the send page."""
REMINDER_DAYS = (3, 7, 14, 30, 60)


def sent_texts() -> dict[str, str]:
    return {
        "invoice": _("Invoice"),
        "reminder": _("Reminder"),
        "queued": _("Waiting to be sent"),
        "sent": _("Delivered to the mail server"),
        "parked": _("Could not be delivered"),
        "dropped": _("Given up"),
    }


async def _preview(api: ApiDep, viewer: Viewer, invoice_id: UUID, note: str = "") -> Any:
    params = {"note": note} if note else None
    return await api.json(
        "GET", f"/api/v1/invoices/{invoice_id}/mail-preview", viewer.token, params=params
    )


@router.get("/invoices/{invoice_id}/send")
async def send_page(request: Request, invoice_id: UUID, api: ApiDep, viewer: SignedIn) -> Response:
    invoice = await api.json("GET", f"/api/v1/invoices/{invoice_id}", viewer.token)
    try:
        preview = await _preview(api, viewer, invoice_id)
    except ApiProblem as problem:
        if problem.status != 409:
            raise
        return redirect(request, f"/invoices/{invoice_id}")
    form = Form(values={"to": preview.get("to") or "", "copy": "on"})
    return _send_page(request, invoice, preview, form)


def _send_page(
    request: Request,
    invoice: dict[str, Any],
    preview: dict[str, Any],
    form: Form,
    status: int = 200,
) -> Response:
    return render(
        request,
        "invoices/send.html",
        {"section": "invoices", "invoice": invoice, "preview": preview, "form": form},
        status_code=status,
    )


@router.post("/invoices/{invoice_id}/send")
async def send_invoice(
    request: Request, invoice_id: UUID, api: ApiDep, viewer: SignedIn
) -> Response:
    form = Form.of(await request.form())
    to = form.text("to")
    if not to:
        form.error("to", _("Enter the email to send the invoice to."))
    body: dict[str, Any] = {"to": to, "note": form.text("note") or None}
    if form.get("copy") == "on" and viewer.email:
        body["copy_to"] = viewer.email
    if form.valid:
        try:
            await api.json("POST", f"/api/v1/invoices/{invoice_id}/send", viewer.token, json=body)
        except ApiProblem as problem:
            form.refused(problem)
            if problem.status == 422 and not form.errors:
                form.error("to", problem.detail or _("This email is not valid."))
        else:
            return redirect(request, f"/invoices/{invoice_id}?done=sent")
    invoice = await api.json("GET", f"/api/v1/invoices/{invoice_id}", viewer.token)
    preview = await _preview(api, viewer, invoice_id, form.text("note") or "")
    return _send_page(request, invoice, preview, form, status=422)


@router.get("/invoices/{invoice_id}/send/preview.html")
async def preview_html(invoice_id: UUID, api: ApiDep, viewer: SignedIn, note: str = "") -> Response:
    preview = await _preview(api, viewer, invoice_id, note)
    html = str(preview["html"])
    if "cid:payment-qr" in html:
        # The QR code travels inside the mail; the frame has no cookie to fetch one with.
        qr = await api.send(
            "GET",
            f"/api/v1/invoices/{invoice_id}/payment-qr",
            viewer.token,
            params={"format": "png"},
        )
        inline = "data:image/png;base64," + base64.b64encode(qr.content).decode()
        html = html.replace("cid:payment-qr", inline)
    return HTMLResponse(
        html,
        headers={
            "content-security-policy": PREVIEW_CSP,
            "x-frame-options": "SAMEORIGIN",
            "cache-control": "private, no-store",
        },
    )


@router.get("/invoices/{invoice_id}/sends")
async def sends_fragment(
    request: Request, invoice_id: UUID, api: ApiDep, viewer: SignedIn
) -> Response:
    sends = await api.json("GET", f"/api/v1/invoices/{invoice_id}/sends", viewer.token)
    return render(
        request,
        "invoices/_sends.html",
        {"sends": sends, "texts": sent_texts(), "invoice_id": str(invoice_id)},
    )


# -- overdue reminders ---------------------------------------------------------------------


@router.get("/invoices/reminders")
async def reminders_page(request: Request, api: ApiDep, viewer: SignedIn) -> Response:
    settings = await api.json("GET", "/api/v1/reminders/settings", viewer.token)
    return _reminders(request, settings)


def _reminders(
    request: Request, settings: dict[str, Any], error: str | None = None, status: int = 200
) -> Response:
    return render(
        request,
        "invoices/reminders.html",
        {
            "section": "invoices",
            "settings": settings,
            "choices": sorted(set(REMINDER_DAYS) | set(settings.get("days") or [])),
            "error": error,
            "flash_text": _("Reminder settings saved."),
        },
        status_code=status,
    )


@router.post("/invoices/reminders")
async def save_reminders(request: Request, api: ApiDep, viewer: SignedIn) -> Response:
    data = await request.form()
    days = sorted({int(str(d)) for d in data.getlist("days") if str(d).isdigit()})
    body = {"enabled": data.get("enabled") == "on", "days": days}
    try:
        await api.json("PUT", "/api/v1/reminders/settings", viewer.token, json=body)
    except ApiProblem as problem:
        if problem.status not in (403, 422):
            raise
        message = (
            _("Only owners and admins change the reminders.")
            if problem.status == 403
            else _("Choose at least one day, or turn reminders off.")
        )
        return _reminders(request, body, message, problem.status)
    return redirect(request, "/invoices/reminders?done=1")
