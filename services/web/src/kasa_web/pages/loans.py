"""Loans with their payment schedule and the payments booked against them."""

import asyncio
from datetime import date
from typing import Any
from uuid import UUID

from fastapi import APIRouter, Request
from starlette.responses import Response

from kasa_web.api_client import ApiProblem
from kasa_web.errors import redirect
from kasa_web.forms import Form
from kasa_web.pages.accounts import once_key, with_new_key
from kasa_web.pages.clients import CURRENCIES, all_items, amount_field, decimal_text
from kasa_web.pages.common import ApiDep
from kasa_web.rendering import env, render
from kasa_web.rendering import gettext as _
from kasa_web.viewer import SignedIn, Viewer

router = APIRouter(include_in_schema=False)

TERMS = ("name", "principal", "currency", "annual_rate", "term_months", "first_due")


def done_texts() -> dict[str, str]:
    return {
        "added": _("Loan added. Its schedule is below."),
        "paid": _("Payment booked."),
    }


async def _list(
    request: Request, api: ApiDep, viewer: Viewer, form: Form | None = None, status: int = 200
) -> Response:
    loans = await all_items(api, "/api/v1/loans", viewer)
    fresh = Form(values={"currency": "CZK", "term_months": "12"})
    return render(
        request,
        "loans/list.html",
        {
            "section": "money",
            "tab": "loans",
            "loans": loans,
            "currencies": [(c, c) for c in CURRENCIES],
            "form": form or with_new_key(fresh),
            "opened": form is not None,
        },
        status_code=status,
    )


@router.get("/loans")
async def loan_list(request: Request, api: ApiDep, viewer: SignedIn) -> Response:
    return await _list(request, api, viewer)


@router.post("/loans")
async def add_loan(request: Request, api: ApiDep, viewer: SignedIn) -> Response:
    form = Form.of(await request.form())
    body: dict[str, Any] = {name: form.text(name) or "" for name in TERMS}
    body["principal"] = amount_field(form, "principal") or ""
    body["annual_rate"] = decimal_text(form.text("annual_rate")) or ""
    if not form.valid:
        return await _list(request, api, viewer, form, 422)
    try:
        created = await api.json(
            "POST", "/api/v1/loans", viewer.token, json=body, headers=once_key(form)
        )
    except ApiProblem as problem:
        if problem.status not in (400, 403, 409, 422):
            raise
        return await _list(request, api, viewer, form.refused(problem), problem.status)
    return redirect(request, f"/loans/{created['id']}?done=added")


def next_unpaid(schedule: dict[str, Any]) -> dict[str, Any] | None:
    return next((i for i in schedule["installments"] if not i["transaction_id"]), None)


def still_owed(schedule: dict[str, Any], principal: str, today: date) -> str:
    """The principal left after the installments due by ``today``, as the ledger counts it in
    net worth (by the schedule, paid or not)."""
    due = [i for i in schedule["installments"] if i["due_on"] <= today.isoformat()]
    return str(due[-1]["balance_after"]) if due else principal


async def _detail(
    request: Request,
    api: ApiDep,
    viewer: Viewer,
    loan_id: UUID,
    form: Form | None = None,
    status: int = 200,
) -> Response:
    token = viewer.token
    loan, schedule, accounts = await asyncio.gather(
        api.json("GET", f"/api/v1/loans/{loan_id}", token),
        api.json("GET", f"/api/v1/loans/{loan_id}/schedule", token),
        all_items(api, "/api/v1/accounts", viewer),
    )
    upcoming = next_unpaid(schedule)
    if form is None:
        values = {"paid_on": str(date.today())}
        if upcoming:
            values |= {"installment": str(upcoming["number"]), "amount": upcoming["payment"]}
        form = with_new_key(Form(values=values))
    today = date.today()
    day = env.filters["day"]
    paid = [i for i in schedule["installments"] if i["transaction_id"]]
    return render(
        request,
        "loans/detail.html",
        {
            "section": "money",
            "tab": "loans",
            "loan": loan,
            "schedule": schedule,
            "paid": paid,
            "unpaid": [i for i in schedule["installments"] if not i["transaction_id"]],
            "installment_options": [
                (
                    str(i["number"]),
                    _("%(number)s, due %(day)s", number=i["number"], day=day(i["due_on"])),
                )
                for i in schedule["installments"]
                if not i["transaction_id"]
            ],
            "owed": still_owed(schedule, loan["principal"], today),
            "today": today.isoformat(),
            "accounts": [
                (a["id"], a["name"]) for a in accounts if a["currency"] == loan["currency"]
            ],
            "form": form,
            "flash_text": done_texts().get(request.query_params.get("done") or ""),
        },
        status_code=status,
    )


@router.get("/loans/{loan_id}")
async def loan_detail(request: Request, loan_id: UUID, api: ApiDep, viewer: SignedIn) -> Response:
    return await _detail(request, api, viewer, loan_id)


@router.post("/loans/{loan_id}/payments")
async def book_payment(request: Request, loan_id: UUID, api: ApiDep, viewer: SignedIn) -> Response:
    form = Form.of(await request.form())
    number = form.text("installment") or ""
    if not number.isdigit():
        form.error("installment", _("Choose a value from the list."))
    body: dict[str, Any] = {"paid_on": form.text("paid_on") or ""}
    amount = amount_field(form, "amount")
    if amount is not None:
        body["amount"] = amount
    if form.text("account_id"):
        body["account_id"] = form.text("account_id")
    if not form.valid:
        return await _detail(request, api, viewer, loan_id, form, 422)
    try:
        await api.json(
            "POST",
            f"/api/v1/loans/{loan_id}/installments/{number}/payment",
            viewer.token,
            json=body,
            headers=once_key(form),
        )
    except ApiProblem as problem:
        if problem.status == 404:
            raise
        if problem.status not in (400, 403, 409, 422):
            raise
        form.refused(problem)
        if problem.status == 409:
            form.errors.pop("", None)
            form.error("installment", _("This installment is paid already."))
        return await _detail(request, api, viewer, loan_id, form, problem.status)
    return redirect(request, f"/loans/{loan_id}?done=paid")
