"""Time: the running timer, the week of work entries, adding and editing entries."""

import asyncio
import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from zoneinfo import ZoneInfo

from babel import dates as babel_dates
from fastapi import APIRouter, Request
from starlette.responses import Response

from kasa_servicekit.money import round_money
from kasa_web.api_client import Api, ApiProblem
from kasa_web.errors import redirect
from kasa_web.forms import Form, problem_text
from kasa_web.pages.clients import all_items, amount_field
from kasa_web.pages.common import ApiDep
from kasa_web.rendering import gettext as _
from kasa_web.rendering import is_htmx, render
from kasa_web.viewer import SignedIn, Viewer

router = APIRouter(include_in_schema=False)

# The days people see are local days; Kasa's users are in Central Europe for now.
ZONE = ZoneInfo("Europe/Prague")
MAX_MINUTES = 24 * 60
TIME_CHANGED = "kasa-time-changed"
"""Fired on <body> (``HX-Trigger``) when the timer stopped or started, so the week refreshes."""
_WEEK = re.compile(r"^(\d{4})-W(\d{1,2})$")
_CLOCK = re.compile(r"^(\d{1,2}):([0-5]\d)$")
_UNITS = re.compile(r"^(?:(\d+(?:[.,]\d+)?)\s*h)?\s*(?:(\d+)\s*m(?:in)?)?$")
ENTRY_ALIASES = {"minutes": "duration"}


def today() -> date:
    return datetime.now(ZONE).date()


def week_start(week: str | None, start: str | None, now: date) -> date:
    """The Monday of ``?week=2026-W49``, or of the week of ``?from=2026-12-03``, or of now."""
    if week and (match := _WEEK.match(week.strip())):
        try:
            return date.fromisocalendar(int(match[1]), int(match[2]), 1)
        except ValueError:
            pass
    if start:
        try:
            now = date.fromisoformat(start.strip())
        except ValueError:
            pass
    return now - timedelta(days=now.weekday())


def iso_week(day: date) -> str:
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def parse_duration(text: str | None) -> int | None:
    """Minutes from ``90``, ``1:30``, ``1.5`` or ``1,5`` hours, ``1h 30m``; ``None`` if not."""
    value = (text or "").strip().lower()
    if not value:
        return None
    if value.isdigit():
        return int(value)
    if match := _CLOCK.match(value):
        return int(match[1]) * 60 + int(match[2])
    if re.fullmatch(r"\d+[.,]\d+", value):
        return _hours_to_minutes(value)
    match = _UNITS.match(value)
    if match and (match[1] or match[2]):
        return (_hours_to_minutes(match[1]) if match[1] else 0) + int(match[2] or 0)
    return None


def _hours_to_minutes(hours: str) -> int:
    return int((Decimal(hours.replace(",", ".")) * 60).to_integral_value(ROUND_HALF_UP))


def entry_amount(entry: dict[str, Any], project: dict[str, Any] | None) -> Decimal | None:
    """What the entry is worth: its fixed amount, or its time at the project's rate."""
    if entry.get("fixed_amount") is not None:
        return Decimal(str(entry["fixed_amount"]))
    rate = project.get("effective_hourly_rate") if project else None
    if entry.get("minutes") is None or rate is None:
        return None
    currency = project["effective_currency"] if project else "CZK"
    return round_money(Decimal(int(entry["minutes"])) * Decimal(str(rate)) / 60, currency)


@dataclass
class Totals:
    minutes: int = 0
    billable_minutes: int = 0
    amounts: dict[str, Decimal] = field(default_factory=dict)

    def add(self, minutes: int, billable: bool, amount: Decimal | None, currency: str) -> None:
        self.minutes += minutes
        if billable:
            self.billable_minutes += minutes
        if amount is not None:
            self.amounts[currency] = self.amounts.get(currency, Decimal(0)) + amount


@dataclass
class Row:
    entry: dict[str, Any]
    project: dict[str, Any] | None
    client: dict[str, Any] | None
    amount: Decimal | None
    currency: str


@dataclass
class Day:
    date: date
    rows: list[Row] = field(default_factory=list)
    totals: Totals = field(default_factory=Totals)


@dataclass
class Week:
    monday: date
    days: list[Day]
    totals: Totals

    @property
    def sunday(self) -> date:
        return self.monday + timedelta(days=6)

    @property
    def entry_count(self) -> int:
        return sum(len(day.rows) for day in self.days)


def build_week(
    monday: date,
    entries: list[dict[str, Any]],
    projects: dict[str, dict[str, Any]],
    clients: dict[str, dict[str, Any]],
) -> Week:
    """The week's finished entries by day (oldest first), each day and the week totalled."""
    days = {monday + timedelta(days=n): Day(monday + timedelta(days=n)) for n in range(7)}
    week = Totals()
    ordered = sorted(entries, key=lambda e: (e["work_date"], e.get("created_at") or ""))
    for entry in ordered:
        day = days.get(date.fromisoformat(str(entry["work_date"])))
        if day is None or entry.get("running"):
            continue
        project = projects.get(str(entry["project_id"]))
        client = clients.get(str(entry["client_id"]))
        currency = project["effective_currency"] if project else ""
        amount = entry_amount(entry, project)
        minutes = int(entry.get("minutes") or 0)
        day.rows.append(Row(entry, project, client, amount, currency))
        for totals in (day.totals, week):
            totals.add(minutes, bool(entry.get("billable")), amount, currency)
    return Week(monday, list(days.values()), week)


def project_groups(
    projects: list[dict[str, Any]], clients: dict[str, dict[str, Any]], keep: str | None = None
) -> list[tuple[str, list[tuple[str, str]]]]:
    """Active projects grouped under their client's name, for a project picker."""
    groups: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for project in projects:
        if not project.get("active") and str(project["id"]) != keep:
            continue
        client = clients.get(str(project["client_id"]))
        groups[client["name"] if client else ""].append((str(project["id"]), project["name"]))
    return sorted(
        ((name, sorted(items, key=lambda i: i[1].casefold())) for name, items in groups.items()),
        key=lambda group: group[0].casefold(),
    )


def _clock_time(value: str | None, locale: str) -> str:
    if not value:
        return ""
    moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return babel_dates.format_time(moment, "short", tzinfo=ZONE, locale=locale)


def elapsed(started_at: str | None, now: datetime | None = None) -> str:
    """``h:mm:ss`` since the timer started, for the page before its script ticks."""
    if not started_at:
        return ""
    started = datetime.fromisoformat(started_at.replace("Z", "+00:00"))
    seconds = max(0, int(((now or datetime.now(ZONE)) - started).total_seconds()))
    return f"{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"


def _week_label(week: Week, locale: str) -> str:
    return babel_dates.format_interval(week.monday, week.sunday, "yMMMd", locale=locale)


_DAY_PATTERNS = {"en": "EEEE, MMMM d", "cs": "EEEE d. MMMM"}


def _day_label(day: date, locale: str) -> str:
    pattern = _DAY_PATTERNS.get(locale)
    if pattern is None:
        return babel_dates.format_skeleton("MMMMEEEEd", day, locale=locale)
    return babel_dates.format_date(day, pattern, locale=locale)


async def _catalog(
    api: Api, viewer: Viewer
) -> tuple[list[dict[str, Any]], dict[str, dict[str, Any]], dict[str, dict[str, Any]]]:
    projects, clients = await asyncio.gather(
        all_items(api, "/api/v1/projects", viewer), all_items(api, "/api/v1/clients", viewer)
    )
    return (
        projects,
        {str(p["id"]): p for p in projects},
        {str(c["id"]): c for c in clients},
    )


def default_project(
    projects: list[dict[str, Any]], latest: dict[str, Any] | None = None
) -> str | None:
    """The project a new entry most likely belongs to: the last one used, or the only one."""
    active = [str(p["id"]) for p in projects if p.get("active")]
    if latest and str(latest["project_id"]) in active:
        return str(latest["project_id"])
    return active[0] if len(active) == 1 else None


def _timer_context(
    viewer: Viewer,
    timer: dict[str, Any],
    projects: list[dict[str, Any]],
    by_id: dict[str, dict[str, Any]],
    clients: dict[str, dict[str, Any]],
    form: Form | None = None,
    latest: dict[str, Any] | None = None,
) -> dict[str, Any]:
    if form is None:
        form = Form(values={"timer_project_id": default_project(projects, latest) or ""})
    running = timer.get("running")
    project = by_id.get(str(running["project_id"])) if running else None
    return {
        "running": running,
        "running_project": project,
        "running_client": clients.get(str(project["client_id"])) if project else None,
        "started_label": _clock_time(running.get("started_at"), viewer.locale) if running else "",
        "elapsed_label": elapsed(running.get("started_at")) if running else "",
        "timer_form": form,
        "project_groups": project_groups(projects, clients),
    }


def entry_body(form: Form, *, partial: bool = False) -> dict[str, Any]:
    """``WorkEntryIn`` from the entry form, after checking what only the page can check."""
    fixed = form.get("kind") == "fixed"
    body: dict[str, Any] = {
        "project_id": form.text("project_id"),
        "work_date": form.text("work_date"),
        "description": form.get("description").strip(),
        "billable": form.get("billable") == "on",
    }
    if not body["project_id"]:
        form.error("project_id", _("Choose a project."))
    if not body["work_date"]:
        form.error("work_date", _("Enter a date."))
    if fixed:
        amount = amount_field(form, "fixed_amount")
        if amount is None:
            form.error("fixed_amount", _("Enter an amount."))
        body["fixed_amount"] = amount
        if not partial:
            body["minutes"] = None
    else:
        typed = form.text("duration")
        minutes = parse_duration(typed)
        if typed is None:
            form.error("duration", _("Enter the time worked, for example 1:30."))
        elif minutes is None:
            form.error("duration", _("Enter minutes (90) or hours and minutes (1:30)."))
        elif not 1 <= minutes <= MAX_MINUTES:
            form.error("duration", _("Enter between 1 minute and 24 hours."))
        body["minutes"] = minutes
        if not partial:
            body["fixed_amount"] = None
    return body


def new_entry_form(day: date, project_id: str | None = None) -> Form:
    return Form(
        values={
            "kind": "time",
            "work_date": day.isoformat(),
            "project_id": project_id or "",
            "billable": "on",
        }
    )


async def _time_page(
    request: Request,
    api: Api,
    viewer: Viewer,
    monday: date,
    entry_form: Form | None = None,
    timer_form: Form | None = None,
    status: int = 200,
) -> Response:
    sunday = monday + timedelta(days=6)
    timer, entries, (projects, by_id, clients) = await asyncio.gather(
        api.json("GET", "/api/v1/timer", viewer.token),
        all_items(
            api,
            "/api/v1/work-entries",
            viewer,
            {"from": monday.isoformat(), "to": sunday.isoformat()},
        ),
        _catalog(api, viewer),
    )
    week = build_week(monday, entries, by_id, clients)
    now = today()
    default_day = now if monday <= now <= sunday else monday
    latest = max(entries, key=lambda e: e.get("created_at") or "", default=None)
    flash = request.query_params.get("done")
    context = {
        "section": "time",
        "week": week,
        "week_label": _week_label(week, viewer.locale),
        "week_param": iso_week(monday),
        "week_number": monday.isocalendar()[1],
        "previous_week": iso_week(monday - timedelta(days=7)),
        "next_week": iso_week(monday + timedelta(days=7)),
        "this_week": iso_week(now),
        "is_this_week": monday <= now <= sunday,
        "today": now,
        "day_label": lambda d: _day_label(d, viewer.locale),
        "entry_form": entry_form or new_entry_form(default_day, default_project(projects, latest)),
        "has_projects": bool(projects),
        "flash_text": {
            "added": _("Entry added."),
            "deleted": _("Entry deleted."),
            "updated": _("Entry saved."),
        }.get(flash or ""),
        **_timer_context(viewer, timer, projects, by_id, clients, timer_form, latest),
    }
    return render(request, "time/index.html", context, status_code=status)


@router.get("/time")
async def time_page(
    request: Request,
    api: ApiDep,
    viewer: SignedIn,
    week: str | None = None,
) -> Response:
    monday = week_start(week, request.query_params.get("from"), today())
    return await _time_page(request, api, viewer, monday)


async def _timer_fragment(
    request: Request, api: Api, viewer: Viewer, form: Form | None = None, changed: bool = False
) -> Response:
    timer, (projects, by_id, clients) = await asyncio.gather(
        api.json("GET", "/api/v1/timer", viewer.token), _catalog(api, viewer)
    )
    kept = form if form is not None and (form.values or form.errors) else None
    context = {"section": "time", **_timer_context(viewer, timer, projects, by_id, clients, kept)}
    headers = {"HX-Trigger": TIME_CHANGED} if changed else None
    return render(request, "time/index.html", context, block="timer", headers=headers)


@router.get("/time/timer")
async def timer_fragment(request: Request, api: ApiDep, viewer: SignedIn) -> Response:
    if not is_htmx(request):
        return redirect(request, "/time")
    return await _timer_fragment(request, api, viewer)


def _wants_fragment(request: Request) -> bool:
    """The timer's own htmx forms swap the fragment; a boosted form (a row's "continue") not."""
    return is_htmx(request) and request.headers.get("hx-boosted") != "true"


async def _timer_answer(
    request: Request, api: Api, viewer: Viewer, form: Form, changed: bool
) -> Response:
    if _wants_fragment(request):
        return await _timer_fragment(request, api, viewer, form, changed)
    if form.valid:
        return redirect(request, "/time")
    # Without htmx a refused start shows the whole page, its error next to the timer.
    monday = week_start(None, None, today())
    return await _time_page(request, api, viewer, monday, timer_form=form, status=422)


@router.post("/time/timer/start")
async def start_timer(request: Request, api: ApiDep, viewer: SignedIn) -> Response:
    form = Form.of(await request.form())
    project_id = form.text("timer_project_id")
    if not project_id:
        form.error("timer_project_id", _("Choose a project."))
        return await _timer_answer(request, api, viewer, form, changed=False)
    body = {
        "project_id": project_id,
        "description": form.get("timer_description").strip(),
        "switch": form.get("switch") == "1",
    }
    try:
        await api.json("POST", "/api/v1/timer/start", viewer.token, json=body)
    except ApiProblem as problem:
        if problem.status in (401, 403):
            raise
        if problem.status == 409:
            form.error("", _("A timer is already running, perhaps started in another tab."))
        else:
            form.refused(problem, {"project_id": "timer_project_id"})
        return await _timer_answer(request, api, viewer, form, changed=problem.status == 409)
    return await _timer_answer(request, api, viewer, Form(), changed=True)


@router.post("/time/timer/stop")
async def stop_timer(request: Request, api: ApiDep, viewer: SignedIn) -> Response:
    try:
        await api.json("POST", "/api/v1/timer/stop", viewer.token)
    except ApiProblem as problem:
        if problem.status != 409:
            raise
        # Already stopped elsewhere: the fresh state below says so.
    return await _timer_answer(request, api, viewer, Form(), changed=True)


def _week_of(form: Form) -> date:
    return week_start(None, form.text("work_date"), today())


@router.post("/time/entries")
async def add_entry(request: Request, api: ApiDep, viewer: SignedIn) -> Response:
    form = Form.of(await request.form())
    body = entry_body(form)
    monday = week_start(form.text("week"), form.text("work_date"), today())
    if form.valid:
        try:
            await api.json("POST", "/api/v1/work-entries", viewer.token, json=body)
        except ApiProblem as problem:
            if problem.status in (401, 403):
                raise
            form.refused(problem, ENTRY_ALIASES)
        else:
            return redirect(request, f"/time?week={iso_week(_week_of(form))}&done=added")
    return await _time_page(request, api, viewer, monday, entry_form=form, status=422)


def entry_form(entry: dict[str, Any]) -> Form:
    fixed = entry.get("fixed_amount") is not None
    return Form(
        values={
            "kind": "fixed" if fixed else "time",
            "project_id": str(entry["project_id"]),
            "work_date": str(entry["work_date"]),
            "duration": "" if fixed else _minutes_text(entry.get("minutes")),
            "fixed_amount": str(entry["fixed_amount"]) if fixed else "",
            "description": entry.get("description") or "",
            "billable": "on" if entry.get("billable") else "",
        }
    )


def _minutes_text(minutes: Any) -> str:
    return "" if minutes is None else f"{int(minutes) // 60}:{int(minutes) % 60:02d}"


async def _entry_page(
    request: Request,
    api: Api,
    viewer: Viewer,
    entry_id: str,
    form: Form | None = None,
    status: int = 200,
) -> Response:
    entry, (projects, by_id, clients) = await asyncio.gather(
        api.json("GET", f"/api/v1/work-entries/{entry_id}", viewer.token), _catalog(api, viewer)
    )
    project = by_id.get(str(entry["project_id"]))
    day = date.fromisoformat(str(entry["work_date"]))
    context = {
        "section": "time",
        "entry": entry,
        "project": project,
        "client": clients.get(str(entry["client_id"])),
        "amount": entry_amount(entry, project),
        "currency": project["effective_currency"] if project else "",
        "form": form or entry_form(entry),
        "project_groups": project_groups(projects, clients, keep=str(entry["project_id"])),
        "week_param": iso_week(day),
        "day_label": _day_label(day, viewer.locale),
    }
    return render(request, "time/entry.html", context, status_code=status)


@router.get("/time/entries/{entry_id}")
async def entry_page(entry_id: str, request: Request, api: ApiDep, viewer: SignedIn) -> Response:
    return await _entry_page(request, api, viewer, entry_id)


def _locked_text() -> str:
    return _("This entry is on an invoice, so it can no longer be changed or deleted.")


@router.post("/time/entries/{entry_id}")
async def update_entry(entry_id: str, request: Request, api: ApiDep, viewer: SignedIn) -> Response:
    form = Form.of(await request.form())
    body = entry_body(form)
    if form.valid:
        try:
            await api.json(
                "PATCH", f"/api/v1/work-entries/{entry_id}", viewer.token, json=_patch(body)
            )
        except ApiProblem as problem:
            if problem.status in (401, 403, 404):
                raise
            if problem.status == 409:
                form.error("", _locked_text())
            else:
                form.refused(problem, ENTRY_ALIASES)
        else:
            return redirect(request, f"/time?week={iso_week(_week_of(form))}&done=updated")
    return await _entry_page(request, api, viewer, entry_id, form, status=422)


def _patch(body: dict[str, Any]) -> dict[str, Any]:
    """The API clears the other kind itself when one is given, and refuses two nulls."""
    return {k: v for k, v in body.items() if not (k in ("minutes", "fixed_amount") and v is None)}


@router.post("/time/entries/{entry_id}/delete")
async def delete_entry(entry_id: str, request: Request, api: ApiDep, viewer: SignedIn) -> Response:
    form = Form.of(await request.form())
    try:
        await api.send("DELETE", f"/api/v1/work-entries/{entry_id}", viewer.token)
    except ApiProblem as problem:
        if problem.status in (401, 403, 404):
            raise
        refusal = Form()
        refusal.error("", _locked_text() if problem.status == 409 else problem_text(problem))
        return await _entry_refused(request, api, viewer, entry_id, refusal)
    week = form.text("week")
    return redirect(request, f"/time?week={week}&done=deleted" if week else "/time?done=deleted")


async def _entry_refused(
    request: Request, api: Api, viewer: Viewer, entry_id: str, refusal: Form
) -> Response:
    entry = await api.json("GET", f"/api/v1/work-entries/{entry_id}", viewer.token)
    form = entry_form(entry)
    form.errors.update(refusal.errors)
    return await _entry_page(request, api, viewer, entry_id, form, status=409)
