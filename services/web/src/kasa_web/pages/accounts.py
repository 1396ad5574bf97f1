"""Bank and cash accounts with their balances: the first tab of the money section.

The section's tabs (accounts, assets, liabilities, loans) share ``templates/accounts/_tabs.html``
and the idempotency key every form that creates money records carries (``once_key``).
"""

import asyncio
import uuid
from collections import defaultdict
from decimal import Decimal
from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import Response

from kasa_web.api_client import ApiProblem
from kasa_web.errors import redirect
from kasa_web.forms import Form
from kasa_web.pages.clients import CURRENCIES, all_items, decimal_text
from kasa_web.pages.common import ApiDep
from kasa_web.rendering import gettext as _
from kasa_web.rendering import render
from kasa_web.viewer import SignedIn, Viewer

router = APIRouter(include_in_schema=False)

KINDS = ("bank", "cash", "wallet", "other")
ONCE = "idempotency_key"
"""The form field that carries the key of one submission, so a double submit books once."""


def kind_labels() -> dict[str, str]:
    return {
        "bank": _("Bank account"),
        "cash": _("Cash"),
        "wallet": _("Wallet"),
        "other": _("Other"),
    }


def once_key(form: Form) -> dict[str, str]:
    """The ``Idempotency-Key`` header of a form's submission: the key the form was drawn with
    (a new one for each form, kept when the form comes back with errors)."""
    key = form.text(ONCE)
    return {"Idempotency-Key": key} if key else {}


def with_new_key(form: Form) -> Form:
    form.values.setdefault(ONCE, str(uuid.uuid4()))
    return form


def totals_by_currency(accounts: list[dict[str, Any]]) -> dict[str, Decimal]:
    """The money on every account, per currency."""
    totals: dict[str, Decimal] = defaultdict(Decimal)
    for account in accounts:
        for balance in account.get("balances", []):
            totals[balance["currency"]] += Decimal(balance["amount"])
    return dict(sorted(totals.items()))


async def _page(
    request: Request, api: ApiDep, viewer: Viewer, form: Form | None = None, status: int = 200
) -> Response:
    accounts, worth = await asyncio.gather(
        all_items(api, "/api/v1/accounts", viewer),
        api.json("GET", "/api/v1/reports/net-worth", viewer.token),
    )
    return render(
        request,
        "accounts/index.html",
        {
            "section": "money",
            "tab": "accounts",
            "accounts": accounts,
            "totals": totals_by_currency(accounts),
            "positions": worth.get("positions", []),
            "kinds": kind_labels(),
            "currencies": [(c, c) for c in CURRENCIES],
            "form": form or with_new_key(Form(values={"kind": "bank", "currency": "CZK"})),
            "opened": form is not None,
            "flash_text": _("Account added."),
        },
        status_code=status,
    )


@router.get("/accounts")
async def account_list(request: Request, api: ApiDep, viewer: SignedIn) -> Response:
    return await _page(request, api, viewer)


@router.post("/accounts")
async def add_account(request: Request, api: ApiDep, viewer: SignedIn) -> Response:
    form = Form.of(await request.form())
    body: dict[str, Any] = {
        "name": form.text("name") or "",
        "kind": form.text("kind") or "bank",
        "currency": form.text("currency") or "",
        "opening_balance": decimal_text(form.text("opening_balance")) or "0",
    }
    for optional in ("opening_date", "iban", "account_number"):
        if form.text(optional):
            body[optional] = form.text(optional)
    if not body["name"]:
        form.error("name", _("Name the account, for example Cash or Fio business."))
        return await _page(request, api, viewer, form, 422)
    try:
        await api.json("POST", "/api/v1/accounts", viewer.token, json=body, headers=once_key(form))
    except ApiProblem as problem:
        if problem.status not in (400, 403, 409, 422):
            raise
        form.refused(problem)
        return await _page(request, api, viewer, form, problem.status)
    return redirect(request, "/accounts?done=1")
