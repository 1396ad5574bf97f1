"""Matching payments to invoices: the queue of suggestions, matching by hand, undoing a match.

The ledger matches a payment on its own when one rule points at one invoice; what it is unsure
of waits here as suggestions, each with the reason the ledger saw. A rejected pair is never
suggested again. Matching by hand may apply part of a payment (a partial payment), and the
invoice then shows partly paid until the rest arrives.
"""

import asyncio
from decimal import Decimal, InvalidOperation
from typing import Any
from uuid import UUID

from fastapi import APIRouter, Request
from starlette.responses import Response

from kasa_web.api_client import ApiProblem
from kasa_web.errors import redirect
from kasa_web.forms import Form, problem_text
from kasa_web.pages.common import ApiDep, page, safe_next
from kasa_web.rendering import env, render
from kasa_web.rendering import gettext as _
from kasa_web.viewer import SignedIn, Viewer

router = APIRouter(include_in_schema=False)

QUEUE_PAGE = 25
UNMATCHED_PAGE = 10
CANDIDATES_PAGE = 20


def match_reason(reason: str) -> str:
    """Why money was applied or suggested, as a person reads it."""
    texts = {
        "variable_symbol": _("Variable symbol"),
        "invoice_number": _("Invoice number in the message"),
        "known_payer_amount": _("Same amount from a known payer"),
        "suggestion_accepted": _("Suggestion accepted"),
        "manual": _("Matched by hand"),
    }
    return texts.get(reason, reason)


env.globals["match_reason"] = match_reason


def _decimal(value: Any) -> Decimal | None:
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None


def badges(suggestion: dict[str, Any]) -> list[tuple[str, str]]:
    """The evidence for a suggestion, strongest first: (kind, text) for each badge.

    The ledger names the rule that suggested it; the page adds what else agrees, so a person
    sees at a glance why the payment may pay the invoice.
    """
    found = [(suggestion["reason"], match_reason(suggestion["reason"]))]
    vs, invoice_vs = suggestion.get("variable_symbol"), suggestion.get("invoice_variable_symbol")
    if suggestion["reason"] != "variable_symbol" and vs and invoice_vs:
        if vs.lstrip("0") == invoice_vs.lstrip("0"):
            found.append(("variable_symbol", match_reason("variable_symbol")))
    paid = _decimal(suggestion.get("amount"))
    open_ = _decimal(suggestion.get("invoice_outstanding"))
    if paid is not None and paid == open_:
        found.append(("amount", _("Same amount as outstanding")))
    elif paid is not None and open_ is not None and paid < open_:
        found.append(("partial", _("Less than outstanding")))
    elif paid is not None and open_ is not None:
        found.append(("over", _("More than outstanding")))
    return found


def grouped(suggestions: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Suggestions by payment, in the queue's order: one payment may fit several invoices."""
    groups: dict[str, dict[str, Any]] = {}
    for s in suggestions:
        group = groups.setdefault(s["transaction_id"], {"tx": s, "options": []})
        group["options"].append({**s, "badges": badges(s)})
    return list(groups.values())


def done_texts() -> dict[str, str]:
    return {
        "accepted": _("Matched. The invoice records the payment."),
        "rejected": _("Rejected. This pair will not be suggested again."),
        "matched": _("Matched. The invoice records the payment."),
        "unmatched": _("The match is undone. The invoice expects that money again."),
    }


# -- the queue ---------------------------------------------------------------------------------


async def _queue(
    request: Request, api: ApiDep, viewer: Viewer, error: str | None = None, status: int = 200
) -> Response:
    cursor = request.query_params.get("cursor") or None
    suggestions, unmatched = await asyncio.gather(
        api.json(
            "GET",
            "/api/v1/matches/suggestions",
            viewer.token,
            params={"limit": QUEUE_PAGE, "cursor": cursor},
        ),
        api.json(
            "GET",
            "/api/v1/transactions",
            viewer.token,
            params={"unmatched": "true", "kind": "entry", "limit": UNMATCHED_PAGE},
        ),
    )
    waiting = page(suggestions)
    suggested = {s["transaction_id"] for s in waiting}
    next_cursor = suggestions.get("next_cursor")
    return render(
        request,
        "matching/queue.html",
        {
            "section": "matching",
            "groups": grouped(waiting),
            "unmatched": [t for t in page(unmatched) if t["id"] not in suggested],
            "more_unmatched": bool(unmatched.get("next_cursor")),
            "next_link": f"/matching?cursor={next_cursor}" if next_cursor else None,
            "first_link": "/matching" if cursor else None,
            "error": error,
            "flash_text": done_texts().get(request.query_params.get("done") or ""),
        },
        status_code=status,
    )


@router.get("/matching")
async def queue(request: Request, api: ApiDep, viewer: SignedIn) -> Response:
    return await _queue(request, api, viewer)


async def _decide(
    request: Request, api: ApiDep, viewer: Viewer, suggestion_id: UUID, decision: str
) -> Response:
    try:
        await api.json(
            "POST", f"/api/v1/matches/suggestions/{suggestion_id}/{decision}", viewer.token
        )
    except ApiProblem as exc:
        if exc.status != 409:
            raise
        return await _queue(request, api, viewer, error=problem_text(exc), status=409)
    return redirect(request, f"/matching?done={'accepted' if decision == 'accept' else 'rejected'}")


@router.post("/matching/suggestions/{suggestion_id}/accept")
async def accept(request: Request, suggestion_id: UUID, api: ApiDep, viewer: SignedIn) -> Response:
    return await _decide(request, api, viewer, suggestion_id, "accept")


@router.post("/matching/suggestions/{suggestion_id}/reject")
async def reject(request: Request, suggestion_id: UUID, api: ApiDep, viewer: SignedIn) -> Response:
    return await _decide(request, api, viewer, suggestion_id, "reject")


# -- matching one payment by hand --------------------------------------------------------------


def open_amount(tx: dict[str, Any]) -> Decimal:
    """What of a payment is not yet applied to invoices."""
    left = (_decimal(tx.get("effective_amount")) or Decimal(0)) - (
        _decimal(tx.get("matched_amount")) or Decimal(0)
    )
    return max(left, Decimal(0))


def candidate_rows(invoices: list[dict[str, Any]], left: Decimal) -> list[dict[str, Any]]:
    """Open invoices with the amount a match would apply, those owing exactly it first."""
    rows = []
    for invoice in invoices:
        outstanding = _decimal(invoice["outstanding"]) or Decimal(0)
        rows.append({**invoice, "apply": str(min(left, outstanding)), "exact": outstanding == left})
    return sorted(rows, key=lambda r: not r["exact"])


async def _panel(
    request: Request,
    api: ApiDep,
    viewer: Viewer,
    transaction_id: UUID,
    form: Form | None = None,
    status: int = 200,
) -> Response:
    q = (request.query_params.get("q") or "").strip()[:100]
    tx = await api.json("GET", f"/api/v1/transactions/{transaction_id}", viewer.token)
    found, matches = await asyncio.gather(
        api.json(
            "GET",
            "/api/v1/matches/open-invoices",
            viewer.token,
            params={"currency": tx["currency"], "q": q, "limit": CANDIDATES_PAGE},
        ),
        api.json(
            "GET",
            "/api/v1/matches",
            viewer.token,
            params={"transaction_id": str(transaction_id), "include_undone": "true"},
        ),
    )
    left = open_amount(tx)
    return render(
        request,
        "matching/panel.html",
        {
            "section": "matching",
            "tx": tx,
            "q": q,
            "left": str(left),
            "payable": tx["type"] == "income" and tx["kind"] == "entry" and not tx["voided"],
            "candidates": candidate_rows(page(found), left),
            "more": bool(found.get("next_cursor")),
            "matches": page(matches),
            "form": form or Form(),
        },
        block="candidates" if request.headers.get("hx-target") == "candidates" else None,
        status_code=status,
    )


@router.get("/matching/transactions/{transaction_id}")
async def panel(request: Request, transaction_id: UUID, api: ApiDep, viewer: SignedIn) -> Response:
    return await _panel(request, api, viewer, transaction_id)


@router.post("/matching/transactions/{transaction_id}")
async def match_by_hand(
    request: Request, transaction_id: UUID, api: ApiDep, viewer: SignedIn
) -> Response:
    form = Form.of(await request.form())
    body: dict[str, Any] = {"invoice_id": form.text("invoice_id")}
    if form.text("amount"):
        body["amount"] = form.text("amount")
    try:
        await api.json(
            "POST", f"/api/v1/transactions/{transaction_id}/match", viewer.token, json=body
        )
    except ApiProblem as exc:
        if exc.status not in (409, 422):
            raise
        form.refused(exc, aliases={"amount": "amount", "invoice_id": "invoice_id"})
        if not form.errors.get(""):
            form.error("", problem_text(exc))
        return await _panel(request, api, viewer, transaction_id, form, status=exc.status)
    return redirect(request, f"/transactions/{transaction_id}?done=matched")


@router.post("/matching/transactions/{transaction_id}/unmatch")
async def unmatch(
    request: Request, transaction_id: UUID, api: ApiDep, viewer: SignedIn
) -> Response:
    form = Form.of(await request.form())
    back = safe_next(form.text("next"), f"/transactions/{transaction_id}")
    params = {"invoice_id": form.text("invoice_id")} if form.text("invoice_id") else None
    await api.send(
        "DELETE", f"/api/v1/transactions/{transaction_id}/match", viewer.token, params=params
    )
    separator = "&" if "?" in back else "?"
    return redirect(request, f"{back}{separator}done=unmatched")
