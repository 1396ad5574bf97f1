"""Clients and their projects, with hourly rates and currencies."""

import asyncio
import re
from typing import Any

from babel import Locale
from fastapi import APIRouter, Request
from starlette.responses import Response

from kasa_web.api_client import Api, ApiProblem
from kasa_web.errors import redirect
from kasa_web.forms import Form
from kasa_web.pages.common import ApiDep, page
from kasa_web.rendering import gettext as _
from kasa_web.rendering import render
from kasa_web.viewer import SignedIn, Viewer

router = APIRouter(include_in_schema=False)

CURRENCIES = ("CZK", "EUR", "USD", "GBP", "PLN", "CHF", "HUF", "SEK", "NOK", "DKK")
LANGUAGES = ("en", "cs")
# Babel's territories include regions and groupings that are no country on an invoice.
_NOT_COUNTRIES = {"EU", "EZ", "UN", "QO", "XA", "XB", "ZZ"}
_ALL = 500  # the API's largest page
_AMOUNT = re.compile(r"^\d+(\.\d{1,4})?$")


async def all_items(
    api: Api, path: str, viewer: Viewer, params: dict[str, Any] | None = None
) -> list[dict[str, Any]]:
    """Every item of a listing, a full page at a time (clients and projects are few)."""
    items: list[dict[str, Any]] = []
    cursor: str | None = None
    while True:
        answer = await api.json(
            "GET", path, viewer.token, params={**(params or {}), "limit": _ALL, "cursor": cursor}
        )
        items.extend(page(answer))
        cursor = answer.get("next_cursor") if isinstance(answer, dict) else None
        if not cursor:
            return items


def decimal_text(value: str | None) -> str | None:
    """An amount as typed (``1 200,50``) in the API's form (``1200.50``)."""
    if value is None:
        return None
    return value.replace("\u00a0", "").replace(" ", "").replace(",", ".") or None


def amount_field(form: Form, name: str) -> str | None:
    """The amount in ``name``, with an error beside the field when it is no amount.

    The text goes to the API as typed even then: it refuses it too, and its other errors
    show in the same round.
    """
    value = decimal_text(form.text(name))
    if value is not None and not _AMOUNT.match(value):
        form.error(name, _("Enter an amount, for example 1200 or 1200.50."))
    return value


def countries(locale: str) -> list[tuple[str, str]]:
    names = Locale.parse(locale).territories
    pairs = [
        (code, name)
        for code, name in names.items()
        if len(code) == 2 and code.isalpha() and code not in _NOT_COUNTRIES
    ]
    return sorted(pairs, key=lambda pair: pair[1].casefold())


def currency_options(current: str | None = None) -> list[tuple[str, str]]:
    codes = list(CURRENCIES)
    if current and current not in codes:
        codes.append(current)
    return [(code, code) for code in codes]


def client_body(form: Form) -> dict[str, Any]:
    """What the client form says, as ``ClientIn``: a field left empty is no value."""
    country = form.text("country")
    return {
        "name": form.get("name").strip(),
        "email": form.text("email"),
        "address": form.text("address"),
        "country": country.upper() if country else None,
        "company_id": form.text("company_id"),
        "vat_id": form.text("vat_id"),
        "currency": form.text("currency") or "CZK",
        "language": form.text("language") or "en",
        "payment_terms_days": form.text("payment_terms_days"),
        "hourly_rate": amount_field(form, "hourly_rate"),
    }


def client_form(client: dict[str, Any]) -> Form:
    fields = (
        "name",
        "email",
        "address",
        "country",
        "company_id",
        "vat_id",
        "currency",
        "language",
        "payment_terms_days",
        "hourly_rate",
    )
    return Form(
        values={name: "" if client.get(name) is None else str(client[name]) for name in fields}
    )


PROJECT_FIELDS = ("name", "hourly_rate", "currency", "active")
NEW_PROJECT = "p_"
"""The prefix of the new-project form's fields: the client's own form on its page has a name too."""


def project_body(form: Form, prefix: str = "") -> dict[str, Any]:
    return {
        "name": form.get(prefix + "name").strip(),
        "hourly_rate": amount_field(form, prefix + "hourly_rate"),
        "currency": form.text(prefix + "currency"),
        "active": form.get(prefix + "active") == "on",
    }


def project_form(project: dict[str, Any] | None = None, prefix: str = "") -> Form:
    if project is None:
        values = {"name": "", "hourly_rate": "", "currency": "", "active": "on"}
    else:
        values = {
            "name": project["name"],
            "hourly_rate": project.get("hourly_rate") or "",
            "currency": project.get("currency") or "",
            "active": "on" if project.get("active") else "",
        }
    return Form(values={prefix + name: value for name, value in values.items()})


def project_aliases(prefix: str) -> dict[str, str]:
    return {name: prefix + name for name in PROJECT_FIELDS}


def _choices(locale: str, currency: str | None = None) -> dict[str, Any]:
    return {
        "countries": countries(locale),
        "currencies": currency_options(currency),
        "languages": [(code, _language_name(code)) for code in LANGUAGES],
    }


def _language_name(code: str) -> str:
    return {"en": _("English"), "cs": _("Czech")}[code]


@router.get("/clients")
async def client_list(request: Request, api: ApiDep, viewer: SignedIn) -> Response:
    clients, projects = await asyncio.gather(
        all_items(api, "/api/v1/clients", viewer), all_items(api, "/api/v1/projects", viewer)
    )
    counts: dict[str, int] = {}
    for project in projects:
        counts[project["client_id"]] = counts.get(project["client_id"], 0) + 1
    clients.sort(key=lambda c: str(c["name"]).casefold())
    return render(
        request,
        "clients/list.html",
        {"section": "clients", "clients": clients, "project_counts": counts},
    )


@router.get("/clients/new")
async def new_client_page(request: Request, viewer: SignedIn) -> Response:
    form = Form(values={"currency": "CZK", "language": viewer.locale, "payment_terms_days": "14"})
    return _client_editor(request, viewer, form, None)


def _client_editor(
    request: Request, viewer: Viewer, form: Form, client: dict[str, Any] | None, status: int = 200
) -> Response:
    context = {
        "section": "clients",
        "form": form,
        "client": client,
        **_choices(viewer.locale, form.get("currency")),
    }
    return render(request, "clients/new.html", context, status_code=status)


@router.post("/clients/new")
async def create_client(request: Request, api: ApiDep, viewer: SignedIn) -> Response:
    form = Form.of(await request.form())
    try:
        client = await api.json("POST", "/api/v1/clients", viewer.token, json=client_body(form))
    except ApiProblem as problem:
        if problem.status in (401, 403):
            raise
        form.refused(problem)
        return _client_editor(request, viewer, form, None, status=422)
    return redirect(request, f"/clients/{client['id']}?done=created")


async def _client_page(
    request: Request,
    api: Api,
    viewer: Viewer,
    client_id: str,
    *,
    form: Form | None = None,
    new_project: Form | None = None,
    status: int = 200,
) -> Response:
    client, projects = await asyncio.gather(
        api.json("GET", f"/api/v1/clients/{client_id}", viewer.token),
        all_items(api, "/api/v1/projects", viewer, {"client_id": client_id}),
    )
    flash = request.query_params.get("done")
    context = {
        "section": "clients",
        "client": client,
        "projects": projects,
        "form": form or client_form(client),
        "project_form": new_project or project_form(prefix=NEW_PROJECT),
        "flash_text": {"created": _("Client created."), "project": _("Project added.")}.get(
            flash or "", None
        ),
        **_choices(viewer.locale, client.get("currency")),
    }
    return render(request, "clients/detail.html", context, status_code=status)


@router.get("/clients/{client_id}")
async def client_page(client_id: str, request: Request, api: ApiDep, viewer: SignedIn) -> Response:
    return await _client_page(request, api, viewer, client_id)


@router.post("/clients/{client_id}")
async def update_client(
    client_id: str, request: Request, api: ApiDep, viewer: SignedIn
) -> Response:
    form = Form.of(await request.form())
    try:
        await api.json(
            "PATCH", f"/api/v1/clients/{client_id}", viewer.token, json=client_body(form)
        )
    except ApiProblem as problem:
        if problem.status in (401, 403, 404):
            raise
        form.refused(problem)
        return await _client_page(request, api, viewer, client_id, form=form, status=422)
    return redirect(request, f"/clients/{client_id}?done=1")


@router.post("/clients/{client_id}/projects")
async def add_project(client_id: str, request: Request, api: ApiDep, viewer: SignedIn) -> Response:
    form = Form.of(await request.form())
    body = {**project_body(form, NEW_PROJECT), "client_id": client_id}
    try:
        await api.json("POST", "/api/v1/projects", viewer.token, json=body)
    except ApiProblem as problem:
        if problem.status in (401, 403, 404):
            raise
        form.refused(problem, project_aliases(NEW_PROJECT))
        return await _client_page(request, api, viewer, client_id, new_project=form, status=422)
    return redirect(request, f"/clients/{client_id}?done=project")


async def _project_page(
    request: Request,
    api: Api,
    viewer: Viewer,
    project_id: str,
    form: Form | None = None,
    status: int = 200,
) -> Response:
    project = await api.json("GET", f"/api/v1/projects/{project_id}", viewer.token)
    client = await api.json("GET", f"/api/v1/clients/{project['client_id']}", viewer.token)
    context = {
        "section": "clients",
        "project": project,
        "client": client,
        "form": form or project_form(project),
        "currencies": currency_options(project.get("currency")),
    }
    return render(request, "clients/project.html", context, status_code=status)


@router.get("/projects/{project_id}")
async def project_page(
    project_id: str, request: Request, api: ApiDep, viewer: SignedIn
) -> Response:
    return await _project_page(request, api, viewer, project_id)


@router.post("/projects/{project_id}")
async def update_project(
    project_id: str, request: Request, api: ApiDep, viewer: SignedIn
) -> Response:
    form = Form.of(await request.form())
    try:
        await api.json(
            "PATCH", f"/api/v1/projects/{project_id}", viewer.token, json=project_body(form)
        )
    except ApiProblem as problem:
        if problem.status in (401, 403, 404):
            raise
        if problem.status == 422 and not problem.errors:
            # The one rule behind a bare 422 here: work already done keeps its currency.
            form.error("currency", _("The currency cannot change once the project has work."))
        else:
            form.refused(problem)
        return await _project_page(request, api, viewer, project_id, form, status=422)
    return redirect(request, f"/projects/{project_id}?done=1")
