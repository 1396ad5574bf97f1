"""Transactions: the list with its filters, a transaction's detail, manual entries, corrections
and categories.

Booked money never changes in place: a correction books an adjustment and a void a reversal,
each with its reason, and the detail lists them. A new entry's form carries an idempotency key
made when the form is drawn, so submitting it twice books it once.
"""

import asyncio
import json
import uuid
from datetime import date
from typing import Any
from urllib.parse import urlencode
from uuid import UUID

from fastapi import APIRouter, Request
from starlette.responses import Response

from kasa_web.api_client import ApiProblem
from kasa_web.errors import redirect
from kasa_web.forms import Form, problem_text
from kasa_web.pages.common import ApiDep, page
from kasa_web.rendering import env, is_htmx, render
from kasa_web.rendering import gettext as _
from kasa_web.viewer import SignedIn, Viewer

router = APIRouter(include_in_schema=False)

PAGE_SIZE = 50
LIST_FILTERS = ("account_id", "type", "from", "to", "category", "source", "matched", "q")
DIRECTIONS = ("income", "expense")
MATCHED = ("matched", "unmatched")
NEW_FIELDS = (
    "type",
    "amount",
    "currency",
    "transacted_on",
    "counterparty",
    "counterparty_account",
    "description",
    "reference",
    "variable_symbol",
    "account_id",
    "category",
    "notes",
)
CURRENCIES = ("CZK", "EUR", "USD", "GBP", "PLN")


def direction_labels() -> dict[str, str]:
    return {"income": _("Income"), "expense": _("Expense")}


def source_label(source: str, plugins: dict[str, str] | None = None) -> str:
    """Where a transaction came from: entered by hand, or the plugin that imported it."""
    if source == "manual":
        return _("Entered by hand")
    return (plugins or {}).get(source, source)


def actor_label(actor: dict[str, Any] | None) -> str:
    if not actor:
        return "—"
    if actor.get("type") == "user":
        return str(actor.get("name") or _("a person"))
    if actor.get("type") == "plugin":
        return _("bank plugin %(name)s", name=actor.get("name") or actor.get("id"))
    return _("Kasa")


def signed(tx: dict[str, Any], field: str = "effective_amount") -> str:
    """An amount with the sign of its direction: money out is negative."""
    value = str(tx.get(field) or "0")
    return value if tx.get("type") == "income" or value.startswith("-") else f"-{value}"


def raw_json(raw: Any) -> str:
    """The provider's record as indented JSON, its keys in the order the provider sent them."""
    return json.dumps(raw, indent=2, ensure_ascii=False, default=str)


env.globals["tx_source"] = source_label
env.globals["tx_actor"] = actor_label
env.globals["tx_signed"] = signed
env.globals["tx_raw"] = raw_json


def done_texts() -> dict[str, str]:
    return {
        "created": _("Transaction booked."),
        "corrected": _("Correction booked. The original entry stays as it was booked."),
        "voided": _("The transaction is voided by a reversing entry."),
        "category": _("Category saved."),
        "rule": _("Rule saved."),
        "applied": _("Rule saved and applied to existing transactions."),
        "matched": _("Matched. The invoice records the payment."),
        "unmatched": _("The match is undone. The invoice expects that money again."),
    }


# -- the list ----------------------------------------------------------------------------------


def list_filters(request: Request) -> tuple[dict[str, str], Form]:
    """The filters asked for, and a form that marks the ones that cannot be used."""
    form = Form.of({k: request.query_params.get(k, "") for k in LIST_FILTERS})
    filters = {k: (form.text(k) or "") for k in LIST_FILTERS}
    choices = {"type": DIRECTIONS, "matched": MATCHED}
    for name, allowed_values in choices.items():
        if filters[name] and filters[name] not in allowed_values:
            form.error(name, _("Choose a value from the list."))
            filters[name] = ""
    if filters["account_id"]:
        try:
            UUID(filters["account_id"])
        except ValueError:
            form.error("account_id", _("Choose a value from the list."))
            filters["account_id"] = ""
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
    filters["q"] = filters["q"][:200]
    return filters, form


def list_query(filters: dict[str, str]) -> dict[str, Any]:
    """The API's query for the list's filters: entries only, their corrections inside them."""
    params: dict[str, Any] = {k: v for k, v in filters.items() if v and k != "matched"}
    if filters.get("matched"):
        params["unmatched"] = "true" if filters["matched"] == "unmatched" else "false"
    params["kind"] = "entry"
    return params


def list_link(filters: dict[str, str], cursor: str | None = None) -> str:
    query = {k: v for k, v in filters.items() if v}
    if cursor:
        query["cursor"] = cursor
    return "/transactions" + (f"?{urlencode(query)}" if query else "")


def _fragment(request: Request) -> str | None:
    """Which block an htmx request asked for: the results of new filters, or older rows."""
    if not is_htmx(request):
        return None
    target = request.headers.get("hx-target")
    return {"tx-results": "results", "tx-more": "rows"}.get(target or "")


@router.get("/transactions")
async def transaction_list(request: Request, api: ApiDep, viewer: SignedIn) -> Response:
    filters, form = list_filters(request)
    cursor = request.query_params.get("cursor") or None
    block = _fragment(request)
    listing = api.json(
        "GET",
        "/api/v1/transactions",
        viewer.token,
        params={**list_query(filters), "cursor": cursor, "limit": PAGE_SIZE},
    )
    if block:
        # New filters or older rows: only the list changes, so only the list is read.
        found = await listing
        accounts: Any = []
        categories: Any = []
        plugins: Any = []
    else:
        found, accounts, categories, plugins = await asyncio.gather(
            listing,
            api.json("GET", "/api/v1/accounts", viewer.token, params={"limit": 200}),
            api.json("GET", "/api/v1/categories", viewer.token, params={"limit": 500}),
            api.json("GET", "/api/v1/plugins", viewer.token),
        )
    next_cursor = found.get("next_cursor")
    plugin_names = {p["name"]: p.get("display_name") or p["name"] for p in page(plugins)}
    return render(
        request,
        "transactions/list.html",
        {
            "section": "transactions",
            "form": form,
            "filters": filters,
            "filtered": any(filters.values()),
            "transactions": page(found),
            "accounts": page(accounts),
            "categories": page(categories),
            "sources": [("manual", _("Entered by hand")), *plugin_names.items()],
            "plugin_names": plugin_names,
            "directions": direction_labels(),
            "next_link": list_link(filters, next_cursor) if next_cursor else None,
            "first_link": list_link(filters) if cursor else None,
            "flash_text": done_texts().get(request.query_params.get("done") or ""),
        },
        block=block,
    )


# -- a new entry by hand -----------------------------------------------------------------------


async def _new_page(
    request: Request, api: ApiDep, viewer: Viewer, form: Form, status: int = 200
) -> Response:
    accounts, categories = await asyncio.gather(
        api.json("GET", "/api/v1/accounts", viewer.token, params={"limit": 200}),
        api.json("GET", "/api/v1/categories", viewer.token, params={"limit": 500}),
    )
    return render(
        request,
        "transactions/new.html",
        {
            "section": "transactions",
            "form": form,
            "accounts": page(accounts),
            "categories": page(categories),
            "directions": direction_labels(),
            "currency_options": [(c, c) for c in CURRENCIES],
            "category_options": [(c["name"], c["name"]) for c in page(categories)],
        },
        status_code=status,
    )


@router.get("/transactions/new")
async def new_transaction(request: Request, api: ApiDep, viewer: SignedIn) -> Response:
    form = Form(
        values={
            "type": "expense",
            "currency": "CZK",
            "transacted_on": date.today().isoformat(),
            # One key per drawn form: a second submit of the same form books nothing new.
            "idempotency_key": str(uuid.uuid4()),
        }
    )
    return await _new_page(request, api, viewer, form)


@router.post("/transactions")
async def create_transaction(request: Request, api: ApiDep, viewer: SignedIn) -> Response:
    form = Form.of(await request.form())
    key = form.text("idempotency_key") or str(uuid.uuid4())
    form.values["idempotency_key"] = key
    body = {name: form.text(name) for name in NEW_FIELDS if form.text(name)}
    try:
        booked = await api.json(
            "POST",
            "/api/v1/transactions",
            viewer.token,
            json=body,
            headers={"idempotency-key": key},
        )
    except ApiProblem as exc:
        if exc.status not in (409, 422):
            raise
        return await _new_page(request, api, viewer, form.refused(exc), status=exc.status)
    return redirect(request, f"/transactions/{booked['id']}?done=created")


# -- one transaction ---------------------------------------------------------------------------


async def _sync_of(api: ApiDep, viewer: Viewer, sync_id: str | None) -> dict[str, Any] | None:
    """The sync run that imported it, if the bank side still knows it."""
    if not sync_id:
        return None
    try:
        sync: dict[str, Any] = await api.json("GET", f"/api/v1/syncs/{sync_id}", viewer.token)
    except ApiProblem as exc:
        if exc.status != 404:
            raise
        return {"id": sync_id}
    return sync


async def _invoices(api: ApiDep, viewer: Viewer, ids: set[str]) -> dict[str, dict[str, Any]]:
    """The invoices a transaction's matches name (a few at most), by id."""

    async def one(invoice_id: str) -> dict[str, Any]:
        try:
            found: dict[str, Any] = await api.json(
                "GET", f"/api/v1/invoices/{invoice_id}", viewer.token
            )
        except ApiProblem as exc:
            if exc.status != 404:
                raise
            return {"id": invoice_id}
        return found

    found = await asyncio.gather(*(one(i) for i in sorted(ids)))
    return {str(i["id"]): i for i in found}


async def detail_context(
    request: Request, api: ApiDep, viewer: Viewer, transaction_id: UUID, **extra: Any
) -> dict[str, Any]:
    token = viewer.token
    tx, matches, suggestions, categories = await asyncio.gather(
        api.json("GET", f"/api/v1/transactions/{transaction_id}", token),
        api.json(
            "GET",
            "/api/v1/matches",
            token,
            params={"transaction_id": str(transaction_id), "include_undone": "true"},
        ),
        api.json(
            "GET",
            "/api/v1/matches/suggestions",
            token,
            params={"transaction_id": str(transaction_id)},
        ),
        api.json("GET", "/api/v1/categories", token, params={"limit": 500}),
    )
    history = page(matches)
    sync, invoices = await asyncio.gather(
        _sync_of(api, viewer, tx.get("sync_id")),
        _invoices(api, viewer, {str(m["invoice_id"]) for m in history}),
    )
    return {
        "section": "transactions",
        "tx": tx,
        "sync": sync,
        "matches": history,
        "invoices": invoices,
        "suggestions": page(suggestions),
        "categories": page(categories),
        "directions": direction_labels(),
        "payable": tx["type"] == "income" and tx["kind"] == "entry" and not tx["voided"],
        "correctable": tx["kind"] == "entry" and not tx["voided"],
        "flash_text": done_texts().get(request.query_params.get("done") or ""),
        "category_form": Form(values={"category": tx.get("category") or ""}),
        **extra,
    }


@router.get("/transactions/{transaction_id}")
async def transaction_page(
    request: Request, transaction_id: UUID, api: ApiDep, viewer: SignedIn
) -> Response:
    context = await detail_context(request, api, viewer, transaction_id)
    return render(request, "transactions/detail.html", context)


async def _category_named(api: ApiDep, viewer: Viewer, form: Form) -> str | None:
    """The category the form names: one from the list, or a new one, created first."""
    new = form.text("new_category")
    if not new:
        return form.text("category")
    try:
        await api.json("POST", "/api/v1/categories", viewer.token, json={"name": new})
    except ApiProblem as exc:
        if exc.status != 409:  # it exists already: use it
            if exc.status == 422:
                form.error("new_category", _("This value is not valid."))
                return None
            raise
    return new


@router.post("/transactions/{transaction_id}/category")
async def set_category(
    request: Request, transaction_id: UUID, api: ApiDep, viewer: SignedIn
) -> Response:
    form = Form.of(await request.form())
    category = await _category_named(api, viewer, form)
    if form.valid:
        try:
            await api.json(
                "PATCH",
                f"/api/v1/transactions/{transaction_id}",
                viewer.token,
                json={"category": category},
            )
        except ApiProblem as exc:
            if exc.status not in (409, 422):
                raise
            form.error("category", problem_text(exc))
        else:
            if not is_htmx(request):
                return redirect(request, f"/transactions/{transaction_id}?done=category")
            form = Form(values={"category": category or ""})
            form.values["saved"] = "1"
    context = await detail_context(request, api, viewer, transaction_id, category_form=form)
    return render(
        request,
        "transactions/detail.html",
        context,
        block="category",
        status_code=200 if form.valid else 422,
    )


# -- corrections -------------------------------------------------------------------------------


@router.get("/transactions/{transaction_id}/correct")
async def correct_page(
    request: Request, transaction_id: UUID, api: ApiDep, viewer: SignedIn
) -> Response:
    context = await detail_context(request, api, viewer, transaction_id)
    form = Form(
        values={
            "amount": context["tx"]["effective_amount"],
            "idempotency_key": str(uuid.uuid4()),
        }
    )
    return render(request, "transactions/correct.html", {**context, "form": form, "what": "fix"})


@router.get("/transactions/{transaction_id}/void")
async def void_page(
    request: Request, transaction_id: UUID, api: ApiDep, viewer: SignedIn
) -> Response:
    context = await detail_context(request, api, viewer, transaction_id)
    form = Form(values={"idempotency_key": str(uuid.uuid4())})
    return render(request, "transactions/correct.html", {**context, "form": form, "what": "void"})


async def _book_correction(
    request: Request, api: ApiDep, viewer: Viewer, transaction_id: UUID, what: str
) -> Response:
    form = Form.of(await request.form())
    key = form.text("idempotency_key") or str(uuid.uuid4())
    form.values["idempotency_key"] = key
    if not form.text("reason"):
        form.error("reason", _("Say why: the reason stays with the books."))
    body: dict[str, Any] = {"reason": form.text("reason")}
    if what == "fix":
        body["amount"] = form.text("amount")
    if form.valid:
        path = "corrections" if what == "fix" else "void"
        try:
            await api.json(
                "POST",
                f"/api/v1/transactions/{transaction_id}/{path}",
                viewer.token,
                json=body,
                headers={"idempotency-key": key},
            )
        except ApiProblem as exc:
            if exc.status not in (409, 422):
                raise
            form.refused(exc)
        else:
            done = "corrected" if what == "fix" else "voided"
            return redirect(request, f"/transactions/{transaction_id}?done={done}")
    context = await detail_context(request, api, viewer, transaction_id)
    return render(
        request,
        "transactions/correct.html",
        {**context, "form": form, "what": what},
        status_code=422,
    )


@router.post("/transactions/{transaction_id}/correct")
async def correct(
    request: Request, transaction_id: UUID, api: ApiDep, viewer: SignedIn
) -> Response:
    return await _book_correction(request, api, viewer, transaction_id, "fix")


@router.post("/transactions/{transaction_id}/void")
async def void(request: Request, transaction_id: UUID, api: ApiDep, viewer: SignedIn) -> Response:
    return await _book_correction(request, api, viewer, transaction_id, "void")


# -- a categorization rule from a transaction --------------------------------------------------


def rule_prefill(tx: dict[str, Any]) -> dict[str, str]:
    """A rule that would catch this transaction's like: by its counterparty, else its message."""
    counterparty = (tx.get("counterparty") or "").strip()
    message = (tx.get("description") or "").strip()
    return {
        "category": tx.get("category") or "",
        "counterparty_contains": counterparty[:200],
        "description_contains": "" if counterparty else message[:200],
        "direction": tx.get("type") or "",
        "apply": "on",
    }


async def _rule_page(
    request: Request,
    api: ApiDep,
    viewer: Viewer,
    transaction_id: UUID,
    form: Form | None,
    status: int = 200,
) -> Response:
    context = await detail_context(request, api, viewer, transaction_id)
    shown = form or Form(values=rule_prefill(context["tx"]))
    return render(request, "transactions/rule.html", {**context, "form": shown}, status_code=status)


@router.get("/transactions/{transaction_id}/rule")
async def rule_page(
    request: Request, transaction_id: UUID, api: ApiDep, viewer: SignedIn
) -> Response:
    return await _rule_page(request, api, viewer, transaction_id, None)


@router.post("/transactions/{transaction_id}/rule")
async def create_rule(
    request: Request, transaction_id: UUID, api: ApiDep, viewer: SignedIn
) -> Response:
    form = Form.of(await request.form())
    name = await _category_named(api, viewer, form)
    if form.valid and not name:
        form.error("category", _("Choose a category, or name a new one."))
    if form.valid:
        categories = page(
            await api.json("GET", "/api/v1/categories", viewer.token, params={"limit": 500})
        )
        category_id = next((c["id"] for c in categories if c["name"] == name), None)
        body = {
            "category_id": category_id,
            "counterparty_contains": form.text("counterparty_contains"),
            "description_contains": form.text("description_contains"),
            "direction": form.text("direction"),
        }
        try:
            await api.json(
                "POST",
                "/api/v1/categories/rules",
                viewer.token,
                json={k: v for k, v in body.items() if v is not None},
            )
            if form.text("apply") == "on":
                await api.json("POST", "/api/v1/categories/rules/apply", viewer.token)
        except ApiProblem as exc:
            if exc.status not in (409, 422):
                raise
            form.refused(exc)
        else:
            done = "applied" if form.text("apply") == "on" else "rule"
            return redirect(request, f"/transactions/{transaction_id}?done={done}")
    return await _rule_page(request, api, viewer, transaction_id, form, status=422)
