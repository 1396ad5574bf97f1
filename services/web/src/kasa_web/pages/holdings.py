"""Assets and liabilities: adding them, valuing them, closing them.

Both sides are the same screens over ``/api/v1/assets`` and ``/api/v1/liabilities``; only the
words and the kinds differ. A holding is closed, never deleted: it keeps its history.
"""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any
from uuid import UUID

from fastapi import APIRouter, Request
from starlette.responses import Response

from kasa_web import charts
from kasa_web.api_client import ApiProblem
from kasa_web.errors import redirect
from kasa_web.forms import Form
from kasa_web.pages.accounts import with_new_key
from kasa_web.pages.clients import CURRENCIES, amount_field
from kasa_web.pages.common import ApiDep
from kasa_web.rendering import env, render
from kasa_web.rendering import gettext as _
from kasa_web.viewer import SignedIn, Viewer

router = APIRouter(include_in_schema=False)


@dataclass(frozen=True)
class Side:
    """One side of the balance sheet, as its pages name it."""

    key: str
    """``assets`` or ``liabilities``: the tab, the page path and the API path."""
    kinds: tuple[str, ...]

    @property
    def api(self) -> str:
        return f"/api/v1/{self.key}"


ASSETS = Side("assets", ("property", "vehicle", "investment", "other"))
LIABILITIES = Side("liabilities", ("credit_card", "other"))


def kind_labels() -> dict[str, str]:
    return {
        "property": _("Property"),
        "vehicle": _("Vehicle"),
        "investment": _("Investment"),
        "credit_card": _("Credit card"),
        "other": _("Other"),
    }


def words(side: Side) -> dict[str, str]:
    """What each side's pages say where assets and liabilities differ."""
    if side is ASSETS:
        return {
            "title": _("Assets"),
            "intro": _("What you own outside your accounts: property, vehicles, investments."),
            "value": _("Value"),
            "add": _("Add an asset"),
            "save_new": _("Add asset"),
            "empty": _("No assets yet"),
            "empty_hint": _(
                "Add what you own, with its value; value it again whenever it changes, "
                "and net worth follows."
            ),
            "added": _("Asset added."),
            "valued": _("Value recorded."),
            "closed": _("Asset closed. It no longer counts in net worth from its closing day."),
            "close": _("Close this asset"),
            "close_hint": _(
                "Sold, given away or written off: from the closing day on it no longer counts "
                "in net worth. Its values stay in the history. Closing is final."
            ),
        }
    return {
        "title": _("Liabilities"),
        "intro": _("What you owe outside loans: credit cards, debts to people."),
        "value": _("Owed"),
        "add": _("Add a liability"),
        "save_new": _("Add liability"),
        "empty": _("No liabilities"),
        "empty_hint": _(
            "Add what you owe outside loans, such as a credit card balance, "
            "and update it when it changes."
        ),
        "added": _("Liability added."),
        "valued": _("Balance recorded."),
        "closed": _("Liability closed. It no longer counts in net worth from its closing day."),
        "close": _("Close this liability"),
        "close_hint": _(
            "Paid off or forgiven: from the closing day on it no longer counts in net worth. "
            "Its balances stay in the history. Closing is final."
        ),
    }


def open_totals(holdings: list[dict[str, Any]]) -> dict[str, Decimal]:
    """Per currency, the latest value of every holding still open."""
    totals: dict[str, Decimal] = {}
    for h in holdings:
        if h.get("closed_on") is None and h.get("value") is not None:
            totals[h["currency"]] = totals.get(h["currency"], Decimal(0)) + Decimal(h["value"])
    return dict(sorted(totals.items()))


def history_line(holding: dict[str, Any]) -> charts.Line:
    """The values over time; each point's text is the value as the page writes it."""
    day, money = env.filters["day"], env.filters["money"]
    return charts.line(
        [
            (
                day(v["valued_on"], "short"),
                Decimal(v["value"]),
                money(v["value"], holding["currency"]),
            )
            for v in holding.get("history", [])
        ],
        with_zero=False,
    )


def _context(side: Side, **more: Any) -> dict[str, Any]:
    return {
        "section": "money",
        "tab": side.key,
        "side": side.key,
        "words": words(side),
        "kinds": {k: kind_labels()[k] for k in side.kinds},
        "currencies": [(c, c) for c in CURRENCIES],
        **more,
    }


async def _list(
    request: Request,
    api: ApiDep,
    viewer: Viewer,
    side: Side,
    form: Form | None = None,
    status: int = 200,
) -> Response:
    holdings = await api.json("GET", side.api, viewer.token)
    fresh = Form(values={"kind": side.kinds[0], "currency": "CZK", "valued_on": str(date.today())})
    done = request.query_params.get("done")
    return render(
        request,
        "holdings/list.html",
        _context(
            side,
            holdings=holdings,
            totals=open_totals(holdings),
            form=form or with_new_key(fresh),
            opened=form is not None,
            flash_text=words(side).get(done or "", _("Saved.")),
        ),
        status_code=status,
    )


async def _detail(
    request: Request,
    api: ApiDep,
    viewer: Viewer,
    side: Side,
    holding_id: UUID,
    form: Form | None = None,
    status: int = 200,
) -> Response:
    holding = await api.json("GET", f"{side.api}/{holding_id}", viewer.token)
    done = request.query_params.get("done")
    return render(
        request,
        "holdings/detail.html",
        _context(
            side,
            holding=holding,
            line=history_line(holding),
            chart=charts,
            history=list(reversed(holding.get("history", []))),
            form=form or Form(values={"valued_on": str(date.today())}),
            flash_text=words(side).get(done or "", _("Saved.")),
        ),
        status_code=status,
    )


def _refused(form: Form, problem: ApiProblem) -> Form:
    if problem.status not in (400, 403, 409, 422):
        raise problem
    return form.refused(problem, aliases={"value.value": "value", "value.valued_on": "valued_on"})


def _routes(side: Side) -> None:
    base = f"/{side.key}"

    @router.get(base, name=f"{side.key}_list")
    async def holding_list(request: Request, api: ApiDep, viewer: SignedIn) -> Response:
        return await _list(request, api, viewer, side)

    @router.post(base, name=f"{side.key}_add")
    async def add_holding(request: Request, api: ApiDep, viewer: SignedIn) -> Response:
        form = Form.of(await request.form())
        body: dict[str, Any] = {
            "name": form.text("name") or "",
            "kind": form.text("kind") or "other",
            "currency": form.text("currency") or "",
        }
        value = amount_field(form, "value")
        if value is not None:
            body["value"] = {"valued_on": form.text("valued_on") or "", "value": value}
        if not form.valid:
            return await _list(request, api, viewer, side, form, 422)
        try:
            created = await api.json("POST", side.api, viewer.token, json=body)
        except ApiProblem as problem:
            return await _list(request, api, viewer, side, _refused(form, problem), problem.status)
        return redirect(request, f"{base}/{created['id']}?done=added")

    @router.get(base + "/{holding_id}", name=f"{side.key}_detail")
    async def holding_detail(
        request: Request, holding_id: UUID, api: ApiDep, viewer: SignedIn
    ) -> Response:
        return await _detail(request, api, viewer, side, holding_id)

    @router.post(base + "/{holding_id}/values", name=f"{side.key}_value")
    async def record_value(
        request: Request, holding_id: UUID, api: ApiDep, viewer: SignedIn
    ) -> Response:
        form = Form.of(await request.form())
        value = amount_field(form, "value")
        if value is None:
            form.error("value", _("Enter an amount, for example 1200 or 1200.50."))
        if not form.valid:
            return await _detail(request, api, viewer, side, holding_id, form, 422)
        body = {"valued_on": form.text("valued_on") or "", "value": value}
        try:
            await api.json("POST", f"{side.api}/{holding_id}/values", viewer.token, json=body)
        except ApiProblem as problem:
            if problem.status == 404:
                raise
            refused = _refused(form, problem)
            if problem.status == 409:
                refused.errors.pop("", None)
                refused.error(
                    "valued_on", _("It is closed: nothing is valued on or after its closing day.")
                )
            return await _detail(request, api, viewer, side, holding_id, refused, problem.status)
        return redirect(request, f"{base}/{holding_id}?done=valued")

    async def _close_page(
        request: Request,
        api: ApiDep,
        viewer: Viewer,
        holding_id: UUID,
        form: Form | None = None,
        status: int = 200,
    ) -> Response:
        holding = await api.json("GET", f"{side.api}/{holding_id}", viewer.token)
        return render(
            request,
            "holdings/close.html",
            _context(
                side,
                holding=holding,
                form=form or Form(values={"closed_on": str(date.today())}),
            ),
            status_code=status,
        )

    @router.get(base + "/{holding_id}/close", name=f"{side.key}_close_page")
    async def close_page(
        request: Request, holding_id: UUID, api: ApiDep, viewer: SignedIn
    ) -> Response:
        return await _close_page(request, api, viewer, holding_id)

    @router.post(base + "/{holding_id}/close", name=f"{side.key}_close")
    async def close(request: Request, holding_id: UUID, api: ApiDep, viewer: SignedIn) -> Response:
        form = Form.of(await request.form())
        if not form.text("reason"):
            form.error("reason", _("Say why, for example sold or paid off."))
            return await _close_page(request, api, viewer, holding_id, form, 422)
        body = {"closed_on": form.text("closed_on") or "", "reason": form.text("reason")}
        try:
            await api.json("POST", f"{side.api}/{holding_id}/close", viewer.token, json=body)
        except ApiProblem as problem:
            if problem.status == 404:
                raise
            refused = _refused(form, problem)
            if problem.status == 409:
                refused.errors.pop("", None)
                refused.error(
                    "closed_on",
                    _("It closes once, on or after the day of its last recorded value."),
                )
            return await _close_page(request, api, viewer, holding_id, refused, problem.status)
        return redirect(request, f"{base}/{holding_id}?done=closed")


_routes(ASSETS)
_routes(LIABILITIES)
