"""The dashboard: this month and year at a glance, unpaid invoices, the bank's latest."""

import asyncio
from datetime import date
from decimal import Decimal
from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import Response

from kasa_web import charts, labels
from kasa_web.i18n import duration
from kasa_web.pages.common import ApiDep, page
from kasa_web.payout_changes import PayoutChange, recent_payout_changes
from kasa_web.rendering import env, render
from kasa_web.rendering import gettext as _
from kasa_web.viewer import SignedIn

router = APIRouter(include_in_schema=False)


def _hours(value: Any) -> Decimal:
    try:
        return Decimal(str(value or "0"))
    except ArithmeticError:
        return Decimal(0)


def _month_label(month: str) -> str:
    year, _, number = month.partition("-")
    name = env.globals["month_name"](int(number or "1"))
    return f"{name} {year[2:]}" if number == "01" else str(name)


async def _nothing() -> list[PayoutChange]:
    return []


@router.get("/")
async def dashboard(request: Request, api: ApiDep, viewer: SignedIn) -> Response:
    today = date.today()
    token = viewer.token
    # Owners see every recent change to where the money goes (and are mailed it, ADR 0025).
    owner = viewer.role == "owner"
    me = str(viewer.principal.user_id)
    payout = recent_payout_changes(api, token, me) if owner else _nothing()
    year, month, unpaid, overdue, transactions, plugins, changes = await asyncio.gather(
        api.json("GET", "/api/v1/dashboard", token),
        api.json("GET", "/api/v1/dashboard", token, params={"from": today.replace(day=1)}),
        api.json("GET", "/api/v1/invoices", token, params={"status": "issued", "limit": 8}),
        api.json("GET", "/api/v1/invoices", token, params={"overdue": "true", "limit": 8}),
        api.json("GET", "/api/v1/transactions", token, params={"limit": 8}),
        api.json("GET", "/api/v1/plugins", token),
        payout,
    )
    hour_bars = charts.bars(
        [
            (
                _month_label(m["month"]),
                _hours(m["tracked"]),
                duration(int(_hours(m["tracked"]) * 60)),
            )
            for m in year.get("hours_trend", [])
        ]
    )
    earning_bars = {
        c["currency"]: charts.bars(
            [
                (_month_label(t["month"]), _hours(t.get("invoiced")), str(t.get("invoiced")))
                for t in c.get("trend", [])
            ]
        )
        for c in year.get("currencies", [])
    }
    synced = [p for p in page(plugins) if p.get("last_sync")]
    return render(
        request,
        "dashboard/index.html",
        {
            "section": "dashboard",
            "flash_text": _("You joined the workspace.")
            if request.query_params.get("done") == "joined"
            else None,
            "year": year,
            "month": month,
            "unpaid": page(unpaid),
            "overdue": page(overdue),
            "transactions": page(transactions),
            "plugins": synced,
            "hour_bars": hour_bars,
            "earning_bars": earning_bars,
            "chart": charts,
            "sync_status": labels.sync_status,
            "welcome": request.query_params.get("welcome") == "1",
            "payout_changes": changes,
        },
    )
