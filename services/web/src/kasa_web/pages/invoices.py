"""Invoices: the list, drafting from unbilled work, the detail, PDF, QR, portal links."""

import asyncio
from datetime import date
from typing import Any
from urllib.parse import urlencode
from uuid import UUID

import httpx
from fastapi import APIRouter, Request
from starlette.datastructures import FormData
from starlette.responses import Response

from kasa_web.api_client import ApiProblem
from kasa_web.errors import redirect
from kasa_web.forms import Form, problem_text
from kasa_web.pages.common import ApiDep, page
from kasa_web.rendering import gettext as _
from kasa_web.rendering import render
from kasa_web.viewer import SignedIn, Viewer

router = APIRouter(include_in_schema=False)

LIST_FILTERS = ("status", "client_id", "from", "to")
STATUSES = ("draft", "issued", "partially_paid", "paid", "cancelled", "overdue")
GROUPINGS = ("entry", "project", "day")
SHARE_DAYS = ("7", "30", "90", "365")
"""How long a new portal link may work; every link expires (the API's default is 90 days)."""
PAGE_SIZE = 25
EXTRA_LINES = 3
MAX_EXTRA_LINES = 50
QR_CURRENCIES = ("CZK", "EUR")
AWAITING = ("issued", "partially_paid")
PAYMENT_EVENTS = ("invoicing.invoice.payment_recorded", "invoicing.invoice.paid")
QUIET_EVENTS = ("integrations.sync.progressed",)


def status_labels() -> dict[str, str]:
    return {
        "draft": _("Draft"),
        "issued": _("Issued"),
        "partially_paid": _("Partially paid"),
        "paid": _("Paid"),
        "cancelled": _("Cancelled"),
        "overdue": _("Overdue"),
    }


def grouping_labels() -> dict[str, str]:
    return {
        "entry": _("A line per work entry"),
        "project": _("One line per project"),
        "day": _("One line per day"),
    }


def done_texts() -> dict[str, str]:
    return {
        "created": _("Draft created."),
        "issued": _("Invoice issued."),
        "cancelled": _("Invoice cancelled. Its work is unbilled again."),
        "deleted": _("Draft deleted. Its work is unbilled again."),
        "revoked": _("Every portal link of this invoice is revoked."),
        "line": _("Line saved."),
        "sent": _("The invoice is on its way to the client."),
    }


def list_query(filters: dict[str, str], cursor: str | None = None) -> dict[str, Any]:
    """The API's query for the list's filters; ``overdue`` is a flag there, not a status."""
    params: dict[str, Any] = {k: v for k, v in filters.items() if v and k != "status"}
    status = filters.get("status")
    if status == "overdue":
        params["overdue"] = "true"
    elif status:
        params["status"] = status
    if cursor:
        params["cursor"] = cursor
    return params


def page_link(filters: dict[str, str], cursor: str | None = None) -> str:
    query = {k: v for k, v in filters.items() if v}
    if cursor:
        query["cursor"] = cursor
    return "/invoices" + (f"?{urlencode(query)}" if query else "")


def list_filters(request: Request) -> tuple[dict[str, str], Form]:
    """The filters asked for, and a form that marks the ones that cannot be used."""
    form = Form.of({k: request.query_params.get(k, "") for k in LIST_FILTERS})
    filters = {k: (form.text(k) or "") for k in LIST_FILTERS}
    if filters["status"] and filters["status"] not in STATUSES:
        form.error("status", _("Choose a value from the list."))
        filters["status"] = ""
    if filters["client_id"]:
        try:
            UUID(filters["client_id"])
        except ValueError:
            form.error("client_id", _("Choose a value from the list."))
            filters["client_id"] = ""
    for name in ("from", "to"):
        if filters[name]:
            try:
                date.fromisoformat(filters[name])
            except ValueError:
                form.error(name, _("Enter a date."))
                filters[name] = ""
    if filters["from"] and filters["to"] and filters["from"] > filters["to"]:
        form.error("to", _("The end is before the start."))
        filters["to"] = ""
    return filters, form


@router.get("/invoices")
async def invoice_list(request: Request, api: ApiDep, viewer: SignedIn) -> Response:
    filters, form = list_filters(request)
    cursor = request.query_params.get("cursor") or None
    query = list_query(filters)
    invoices, totals, clients = await asyncio.gather(
        api.json(
            "GET",
            "/api/v1/invoices",
            viewer.token,
            params={**query, "cursor": cursor, "limit": PAGE_SIZE},
        ),
        api.json("GET", "/api/v1/invoices/totals", viewer.token, params=query),
        api.json("GET", "/api/v1/clients", viewer.token, params={"limit": 500}),
    )
    next_cursor = invoices.get("next_cursor")
    done = request.query_params.get("done")
    return render(
        request,
        "invoices/list.html",
        {
            "section": "invoices",
            "form": form,
            "filters": filters,
            "filtered": any(filters.values()),
            "invoices": page(invoices),
            "totals": totals.get("currencies", []),
            "clients": page(clients),
            "statuses": status_labels(),
            "next_link": page_link(filters, next_cursor) if next_cursor else None,
            "first_link": page_link(filters) if cursor else None,
            "flash_text": done_texts().get(done or ""),
        },
        block="results" if request.headers.get("hx-target") == "invoice-results" else None,
    )


# Drafting from unbilled work


def extra_line_count(form: Form) -> int:
    used = [
        i
        for i in range(MAX_EXTRA_LINES)
        if any(form.text(f"line-{i}-{part}") for part in ("description", "quantity", "unit_price"))
    ]
    return min(max([EXTRA_LINES, *(i + 2 for i in used)]), MAX_EXTRA_LINES)


def draft_body(form: Form, picked: list[str]) -> dict[str, Any]:
    """The ``InvoiceIn`` the form asks for; errors the API cannot word well are added here."""
    body: dict[str, Any] = {
        "client_id": form.text("client_id"),
        "grouping": form.text("grouping") or "entry",
        "vat_rate": form.text("vat_rate") or "0",
    }
    lines = []
    for i in range(MAX_EXTRA_LINES):
        parts = {p: form.text(f"line-{i}-{p}") for p in ("description", "quantity", "unit_price")}
        if not any(parts.values()):
            continue
        line = {k: v for k, v in parts.items() if v is not None}
        line.setdefault("quantity", "1")
        lines.append(line)
    if lines:
        body["extra_lines"] = lines
    if form.text("source") == "project":
        if form.text("project_id"):
            body["project_id"] = form.text("project_id")
            body["from"] = form.text("from")
            body["to"] = form.text("to")
        elif not lines:
            form.error("project_id", _("Choose a project, or add a line below."))
    elif picked:
        body["work_entry_ids"] = picked
    elif not lines:
        form.error("work_entry_ids", _("Choose at least one work entry, or add a line below."))
    if form.text("payment_terms_days"):
        body["payment_terms_days"] = form.text("payment_terms_days")
    if form.text("note"):
        body["note"] = form.text("note")
    return {k: v for k, v in body.items() if v is not None}


def line_aliases() -> dict[str, str]:
    aliases = {
        f"extra_lines.{i}.{part}": f"line-{i}-{part}"
        for i in range(MAX_EXTRA_LINES)
        for part in ("description", "quantity", "unit_price")
    }
    aliases["work_entry_ids"] = "work_entry_ids"
    return aliases


async def draft_context(
    api: ApiDep, viewer: Viewer, form: Form, picked: list[str]
) -> dict[str, Any]:
    token = viewer.token
    client_id = form.text("client_id")
    clients, supplier = await asyncio.gather(
        api.json("GET", "/api/v1/clients", token, params={"limit": 500}),
        _supplier(api, token),
    )
    client = next((c for c in page(clients) if c["id"] == client_id), None)
    entries: list[dict[str, Any]] = []
    projects: list[dict[str, Any]] = []
    if client:
        found, listed = await asyncio.gather(
            api.json(
                "GET",
                "/api/v1/work-entries",
                token,
                params={"client_id": client["id"], "unbilled": "true", "limit": 500},
            ),
            api.json("GET", "/api/v1/projects", token, params={"client_id": client["id"]}),
        )
        entries = sorted(page(found), key=lambda e: (e["work_date"], e["created_at"]))
        projects = page(listed)
    if not form.values.get("vat_rate"):
        form.values["vat_rate"] = "21" if supplier and supplier.get("vat_payer") else "0"
    return {
        "section": "invoices",
        "form": form,
        "clients": page(clients),
        "client": client,
        "supplier": supplier,
        "entries": entries,
        "projects": projects,
        "project_names": {p["id"]: p["name"] for p in projects},
        "project_options": [(p["id"], p["name"]) for p in projects],
        "picked": set(picked),
        "groupings": grouping_labels(),
        "line_count": extra_line_count(form),
    }


async def _supplier(api: ApiDep, token: str) -> dict[str, Any] | None:
    try:
        found: dict[str, Any] = await api.json("GET", "/api/v1/supplier", token)
    except ApiProblem as problem:
        if problem.status == 404:
            return None
        raise
    return found


@router.get("/invoices/new")
async def new_invoice(request: Request, api: ApiDep, viewer: SignedIn) -> Response:
    form = Form.of({"client_id": request.query_params.get("client_id", ""), "source": "entries"})
    context = await draft_context(api, viewer, form, [])
    return render(request, "invoices/new.html", context)


def _posted(data: FormData) -> tuple[Form, list[str]]:
    form = Form.of(data)
    picked = [str(v) for v in data.getlist("work_entry_ids") if isinstance(v, str)]
    form.values["work_entry_ids"] = ",".join(picked)
    return form, picked


@router.post("/invoices/new")
async def create_invoice(request: Request, api: ApiDep, viewer: SignedIn) -> Response:
    form, picked = _posted(await request.form())
    if form.text("more_lines"):
        # "More lines" without script: the same form again, with room for more.
        form.values.pop("more_lines", None)
        context = await draft_context(api, viewer, form, picked)
        context["line_count"] = min(context["line_count"] + EXTRA_LINES, MAX_EXTRA_LINES)
        return render(request, "invoices/new.html", context)
    body = draft_body(form, picked)
    if form.valid:
        try:
            created = await api.json("POST", "/api/v1/invoices", viewer.token, json=body)
        except ApiProblem as problem:
            if problem.status == 422 and not problem.errors and "project_id" in body:
                form.error("project_id", _("This project has no unbilled work in that period."))
            else:
                form.refused(problem, aliases=line_aliases())
                for name in form.errors:
                    if name.endswith(("-quantity", "-unit_price")):
                        form.errors[name] = _("Enter a number greater than zero.")
        else:
            return redirect(request, f"/invoices/{created['id']}?done=created")
    context = await draft_context(api, viewer, form, picked)
    return render(request, "invoices/new.html", context, status_code=422)


# One invoice


def payable_by_qr(invoice: dict[str, Any]) -> bool:
    supplier = invoice.get("supplier") or {}
    return (
        invoice.get("status") in AWAITING
        and invoice.get("currency") in QR_CURRENCIES
        and bool(supplier.get("iban"))
    )


async def _invoice(api: ApiDep, viewer: Viewer, invoice_id: UUID) -> dict[str, Any]:
    found: dict[str, Any] = await api.json("GET", f"/api/v1/invoices/{invoice_id}", viewer.token)
    return found


def detail_context(request: Request, invoice: dict[str, Any], **extra: Any) -> dict[str, Any]:
    done = request.query_params.get("done")
    return {
        "section": "invoices",
        "invoice": invoice,
        "statuses": status_labels(),
        "qr": payable_by_qr(invoice),
        "awaiting": invoice["status"] in AWAITING,
        "share_days": SHARE_DAYS,
        "today": date.today().isoformat(),
        "flash_text": done_texts().get(done or ""),
        "share": None,
        "issue_error": None,
        "share_error": None,
        "issue_form": None,
        "issue_needs_supplier": False,
        **extra,
    }


@router.get("/invoices/{invoice_id}")
async def invoice_page(
    request: Request, invoice_id: UUID, api: ApiDep, viewer: SignedIn
) -> Response:
    invoice = await _invoice(api, viewer, invoice_id)
    live = request.headers.get("hx-target") == "invoice-status"
    return render(
        request,
        "invoices/detail.html",
        detail_context(request, invoice),
        block="status" if live else None,
    )


@router.post("/invoices/{invoice_id}/issue")
async def issue_invoice(
    request: Request, invoice_id: UUID, api: ApiDep, viewer: SignedIn
) -> Response:
    form = Form.of(await request.form())
    body = {"issue_date": form.text("issue_date")} if form.text("issue_date") else None
    try:
        await api.json("POST", f"/api/v1/invoices/{invoice_id}/issue", viewer.token, json=body)
    except ApiProblem as problem:
        if problem.status not in (409, 422):
            raise
        invoice = await _invoice(api, viewer, invoice_id)
        needs_supplier = "supplier" in str(problem.problem.get("detail", ""))
        message = (
            _("Fill in your supplier profile before issuing an invoice.")
            if needs_supplier
            else problem_text(problem)
        )
        if problem.errors:
            message = _("Enter a date.")
        context = detail_context(
            request,
            invoice,
            issue_error=message,
            issue_form=form,
            issue_needs_supplier=needs_supplier,
        )
        return render(request, "invoices/detail.html", context, status_code=problem.status)
    return redirect(request, f"/invoices/{invoice_id}?done=issued")


@router.get("/invoices/{invoice_id}/cancel")
async def confirm_cancel(
    request: Request, invoice_id: UUID, api: ApiDep, viewer: SignedIn
) -> Response:
    invoice = await _invoice(api, viewer, invoice_id)
    return render(
        request, "invoices/confirm.html", {**detail_context(request, invoice), "what": "cancel"}
    )


@router.post("/invoices/{invoice_id}/cancel")
async def cancel_invoice(
    request: Request, invoice_id: UUID, api: ApiDep, viewer: SignedIn
) -> Response:
    return await _confirmed(
        request,
        api,
        viewer,
        invoice_id,
        "cancel",
        ("POST", f"/api/v1/invoices/{invoice_id}/cancel"),
        f"/invoices/{invoice_id}?done=cancelled",
    )


async def _confirmed(
    request: Request,
    api: ApiDep,
    viewer: SignedIn,
    invoice_id: UUID,
    what: str,
    call: tuple[str, str],
    done: str,
) -> Response:
    """Do what the confirmation page asked for; a refusal shows that page again with why."""
    try:
        await api.send(*call, viewer.token)
    except ApiProblem as problem:
        if problem.status not in (403, 409):
            raise
        invoice = await _invoice(api, viewer, invoice_id)
        context = {**detail_context(request, invoice), "what": what}
        context["error"] = problem_text(problem)
        return render(request, "invoices/confirm.html", context, status_code=problem.status)
    return redirect(request, done)


@router.get("/invoices/{invoice_id}/delete")
async def confirm_delete(
    request: Request, invoice_id: UUID, api: ApiDep, viewer: SignedIn
) -> Response:
    invoice = await _invoice(api, viewer, invoice_id)
    return render(
        request, "invoices/confirm.html", {**detail_context(request, invoice), "what": "delete"}
    )


@router.post("/invoices/{invoice_id}/delete")
async def delete_draft(
    request: Request, invoice_id: UUID, api: ApiDep, viewer: SignedIn
) -> Response:
    return await _confirmed(
        request,
        api,
        viewer,
        invoice_id,
        "delete",
        ("DELETE", f"/api/v1/invoices/{invoice_id}"),
        "/invoices?done=deleted",
    )


def _line(invoice: dict[str, Any], line_id: UUID) -> dict[str, Any]:
    line = next((x for x in invoice["lines"] if x["id"] == str(line_id)), None)
    if line is None:
        raise ApiProblem(404, {"title": "Not Found", "status": 404}, httpx.Headers())
    return dict(line)


@router.get("/invoices/{invoice_id}/lines/{line_id}")
async def edit_line_page(
    request: Request, invoice_id: UUID, line_id: UUID, api: ApiDep, viewer: SignedIn
) -> Response:
    invoice = await _invoice(api, viewer, invoice_id)
    line = _line(invoice, line_id)
    form = Form.of({"description": line["description"], "vat_rate": line["vat_rate"]})
    context = {**detail_context(request, invoice), "line": line, "form": form}
    return render(request, "invoices/line.html", context)


@router.post("/invoices/{invoice_id}/lines/{line_id}")
async def edit_line(
    request: Request, invoice_id: UUID, line_id: UUID, api: ApiDep, viewer: SignedIn
) -> Response:
    form = Form.of(await request.form())
    if not form.text("description"):
        form.error("description", _("This field is required."))
    if form.valid:
        body = {"description": form.text("description"), "vat_rate": form.text("vat_rate") or "0"}
        try:
            await api.json(
                "PATCH", f"/api/v1/invoices/{invoice_id}/lines/{line_id}", viewer.token, json=body
            )
        except ApiProblem as problem:
            if problem.status == 404:
                raise
            form.refused(problem)
        else:
            return redirect(request, f"/invoices/{invoice_id}?done=line")
    invoice = await _invoice(api, viewer, invoice_id)
    context = {**detail_context(request, invoice), "line": _line(invoice, line_id), "form": form}
    return render(request, "invoices/line.html", context, status_code=422)


@router.post("/invoices/{invoice_id}/share")
async def share_invoice(
    request: Request, invoice_id: UUID, api: ApiDep, viewer: SignedIn
) -> Response:
    form = Form.of(await request.form())
    days = form.text("expires_in_days")
    body = {"expires_in_days": int(days)} if days and days.isdigit() else {}
    try:
        share = await api.json(
            "POST", f"/api/v1/invoices/{invoice_id}/share", viewer.token, json=body
        )
    except ApiProblem as problem:
        if problem.status not in (409, 422):
            raise
        invoice = await _invoice(api, viewer, invoice_id)
        context = detail_context(request, invoice, share_error=problem_text(problem))
        return render(request, "invoices/detail.html", context, status_code=problem.status)
    invoice = await _invoice(api, viewer, invoice_id)
    share["url"] = absolute(request, share["url"])
    # The token is shown once: the page answers the POST itself instead of redirecting.
    return render(request, "invoices/detail.html", detail_context(request, invoice, share=share))


def absolute(request: Request, url: str) -> str:
    """A path when the API has no public address: the origin the browser posted from fits."""
    origin = request.headers.get("origin", "")
    if url.startswith("/") and origin.startswith(("https://", "http://")) and "/" not in origin[8:]:
        return origin + url
    return url


@router.post("/invoices/{invoice_id}/share/revoke")
async def revoke_shares(
    request: Request, invoice_id: UUID, api: ApiDep, viewer: SignedIn
) -> Response:
    await api.send("DELETE", f"/api/v1/invoices/{invoice_id}/share", viewer.token)
    return redirect(request, f"/invoices/{invoice_id}?done=revoked")


# The invoice's files, served from this origin: the browser holds a cookie, not a token.


@router.get("/invoices/{invoice_id}/qr.png")
async def payment_qr(invoice_id: UUID, api: ApiDep, viewer: SignedIn) -> Response:
    try:
        answer = await api.send(
            "GET",
            f"/api/v1/invoices/{invoice_id}/payment-qr",
            viewer.token,
            params={"format": "png"},
        )
    except ApiProblem as problem:
        if problem.status in (409, 422):
            return Response(status_code=404)
        raise
    return Response(
        answer.content,
        media_type="image/png",
        headers={"cache-control": "private, no-cache"},
    )


@router.get("/invoices/{invoice_id}/pdf")
async def invoice_pdf(
    request: Request, invoice_id: UUID, api: ApiDep, viewer: SignedIn
) -> Response:
    answer = await api.send("GET", f"/api/v1/invoices/{invoice_id}/pdf", viewer.token)
    disposition = answer.headers.get("content-disposition", 'inline; filename="invoice.pdf"')
    if request.query_params.get("download"):
        disposition = disposition.replace("inline", "attachment", 1)
    return Response(
        answer.content,
        media_type="application/pdf",
        headers={"content-disposition": disposition, "cache-control": "private, no-cache"},
    )


# Why is this paid?


def step_text(event_type: str) -> str:
    """One step of the trail as a sentence; the raw type for anything not worded yet."""
    texts = {
        "integrations.sync.requested": _("A bank sync was asked for."),
        "integrations.sync.started": _("The bank sync started."),
        "integrations.transaction.imported": _("The bank reported an incoming payment."),
        "integrations.transaction.updated": _("The bank corrected the transaction."),
        "integrations.sync.completed": _("The bank sync completed."),
        "integrations.sync.failed": _("The bank sync failed."),
        "ledger.transaction.recorded": _("The ledger booked the transaction."),
        "ledger.payment.matched": _("The ledger matched the payment to this invoice."),
        "ledger.payment.unmatched": _("The payment was unmatched from this invoice."),
        "invoicing.invoice.payment_recorded": _("The payment was recorded on the invoice."),
        "invoicing.invoice.paid": _("The invoice was marked paid."),
        "invoicing.invoice.drafted": _("The invoice was drafted."),
        "invoicing.invoice.draft_updated": _("The draft was changed."),
        "invoicing.invoice.issued": _("The invoice was issued."),
        "invoicing.invoice.shared": _("A portal link was created."),
        "invoicing.invoice.share_revoked": _("Portal links were revoked."),
        "invoicing.invoice.portal_viewed": _("The client opened the portal link."),
        "invoicing.invoice.cancelled": _("The invoice was cancelled."),
    }
    return texts.get(event_type, event_type)


def actor_text(actor: dict[str, Any]) -> str:
    kinds = {"user": _("person"), "plugin": _("bank plugin"), "system": _("Kasa")}
    kind = kinds.get(str(actor.get("type")), str(actor.get("type", "")))
    name = actor.get("name")
    if actor.get("type") == "system" or not name:
        return kind
    return f"{name} ({kind})"


def source_text(source: dict[str, Any]) -> str:
    parts = [str(source.get("service", ""))]
    if source.get("plugin"):
        parts.append(f"{source['plugin']} {source.get('plugin_version', '')}".strip())
    return " · ".join(p for p in parts if p)


def steps(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The trail in the order it happened, each step worded for a person."""
    ordered = sorted(entries, key=lambda e: (e["occurred_at"], e["seq"]))
    return [
        {
            "text": step_text(e["event_type"]),
            "event_type": e["event_type"],
            "actor": actor_text(e.get("actor") or {}),
            "source": source_text(e.get("source") or {}),
            "occurred_at": e["occurred_at"],
            "entity": e.get("entity_type"),
            "entity_id": e.get("entity_id"),
        }
        for e in ordered
        if e["event_type"] not in QUIET_EVENTS
    ]


def payment_chains(history: list[dict[str, Any]]) -> list[str]:
    """The correlation ids (a sync, or a person's request) that brought payments in."""
    seen: list[str] = []
    for entry in sorted(history, key=lambda e: e["occurred_at"]):
        cid = entry.get("correlation_id")
        if entry["event_type"] in PAYMENT_EVENTS and cid and cid not in seen:
            seen.append(cid)
    return seen


def about_this_invoice(
    chain: list[dict[str, Any]], invoice: dict[str, Any], history: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """The steps of a sync that concern this invoice: one sync may import many transactions."""
    tx_ids = {str(p["transaction_id"]) for p in invoice.get("payments", [])}
    causes = {str(e.get("causation_id")) for e in history if e.get("causation_id")}
    matched = [
        e for e in chain if e["event_type"] == "ledger.payment.matched" and e["event_id"] in causes
    ]
    recorded = [
        e
        for e in chain
        if e["event_type"] == "ledger.transaction.recorded" and e.get("entity_id") in tx_ids
    ]
    sources = {str(e.get("causation_id")) for e in matched + recorded}
    kept = []
    for e in chain:
        kind = e["event_type"]
        if kind.startswith("integrations.transaction."):
            keep = e["event_id"] in sources
        elif kind.startswith("integrations.sync."):
            keep = True
        elif kind.startswith("invoicing."):
            keep = e.get("entity_id") == invoice["id"]
        elif kind == "ledger.payment.matched":
            keep = e in matched
        elif kind.startswith("ledger."):
            keep = e in recorded or e.get("entity_id") in tx_ids
        else:
            keep = False
        if keep:
            kept.append(e)
    return kept


@router.get("/invoices/{invoice_id}/why-paid")
async def why_paid(request: Request, invoice_id: UUID, api: ApiDep, viewer: SignedIn) -> Response:
    token = viewer.token
    invoice, history = await asyncio.gather(
        _invoice(api, viewer, invoice_id),
        api.json(
            "GET",
            "/api/v1/audit-events",
            token,
            params={"entity_type": "invoice", "entity_id": str(invoice_id), "limit": 500},
        ),
    )
    chain_ids = payment_chains(page(history))
    chains = await asyncio.gather(
        *(
            api.json(
                "GET",
                "/api/v1/audit-events",
                token,
                params={"correlation_id": cid, "limit": 500},
            )
            for cid in chain_ids
        )
    )
    return render(
        request,
        "invoices/why_paid.html",
        {
            **detail_context(request, invoice),
            "chains": [steps(about_this_invoice(page(c), invoice, page(history))) for c in chains],
            "history": steps(page(history)),
        },
    )
