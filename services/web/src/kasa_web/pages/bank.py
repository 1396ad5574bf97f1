"""Bank plugins: enabling, configuring, uploading statements, syncing, sync history.

Every plugin's form is drawn from the JSON Schemas the API serves (``plugin_forms``), so this
module knows no plugin by name. A running sync refreshes its fragment on the sync events the
gateway pushes over the WebSocket.
"""

import asyncio
from typing import Any
from urllib.parse import quote
from uuid import UUID

from fastapi import APIRouter, Request
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.responses import Response

from kasa_web import i18n, labels
from kasa_web.api_client import ApiProblem
from kasa_web.errors import redirect
from kasa_web.forms import Form, problem_text
from kasa_web.pages.common import ApiDep, page, safe_next
from kasa_web.plugin_forms import PluginForm, relocate, without_secrets
from kasa_web.rendering import env, is_htmx, render
from kasa_web.rendering import gettext as _
from kasa_web.viewer import SignedIn, Viewer

router = APIRouter(include_in_schema=False)

HISTORY_PAGE = 10
ACTIVE = ("pending", "running")
SYNC_OPTIONS = ("count", "date_from", "date_to")
"""The fields of the API's sync request a run may set."""


status_label = labels.sync_status


def seconds_label(value: Any) -> str:
    """A run's duration: tenths under a minute, then minutes and seconds."""
    if value is None:
        return "—"
    seconds = float(value)
    locale = i18n.current_locale.get()
    if seconds < 60:
        digits = 1 if seconds < 10 else 0
        return _("%(seconds)s s", seconds=i18n.number(round(seconds, digits), locale, digits))
    minutes, rest = divmod(round(seconds), 60)
    return _("%(minutes)s min %(seconds)s s", minutes=minutes, seconds=rest)


def rate_limit_label(limit: dict[str, Any]) -> str:
    scopes = {
        "credentials": _("per access token"),
        "workspace": _("per workspace"),
        "ip": _("per IP address"),
    }
    per = float(limit.get("per_seconds") or 0)
    span = (
        _("%(n)s s", n=i18n.number(per, i18n.current_locale.get(), 0))
        if per < 60 or per % 60
        else _("%(n)s min", n=int(per // 60))
    )
    scope = scopes.get(str(limit.get("scope")), str(limit.get("scope") or ""))
    requests = int(limit.get("requests") or 0)
    text = i18n.translations(i18n.current_locale.get()).ngettext(
        "%(num)s request per %(span)s", "%(num)s requests per %(span)s", requests
    ) % {"num": requests, "span": span}
    return text + (f", {scope}" if scope else "")


# Globals rather than filters, so the templates compile before this module is imported.
env.globals["sync_status"] = status_label
env.globals["sync_seconds"] = seconds_label
env.globals["rate_limit"] = rate_limit_label
env.globals["translated"] = lambda text: _(text) if text else text


def _fragment(request: Request, name: str) -> str | None:
    """Render only ``name`` when an htmx fragment asked for it (not for a boosted page)."""
    return name if is_htmx(request) and request.query_params.get("fragment") == name else None


async def _plugins(api: ApiDep, viewer: Viewer) -> list[dict[str, Any]]:
    return page(await api.json("GET", "/api/v1/plugins", viewer.token))


def _find(plugins: list[dict[str, Any]], name: str) -> dict[str, Any]:
    for plugin in plugins:
        if plugin["name"] == name:
            return plugin
    raise HTTPException(404)


# -- the list ----------------------------------------------------------------------------------


@router.get("/bank")
async def plugin_list(request: Request, api: ApiDep, viewer: SignedIn) -> Response:
    return await _list_page(request, api, viewer)


async def _list_page(
    request: Request, api: ApiDep, viewer: Viewer, error: str | None = None, status: int = 200
) -> Response:
    plugins = await _plugins(api, viewer)
    return render(
        request,
        "bank/index.html",
        {
            "section": "bank",
            "plugins": plugins,
            "error": error,
            "flash_text": _("Saved."),
        },
        block=_fragment(request, "plugins"),
        status_code=status,
    )


@router.post("/bank/{name}/enabled")
async def set_enabled(request: Request, name: str, api: ApiDep, viewer: SignedIn) -> Response:
    form = Form.of(await request.form())
    back = safe_next(form.text("next"), f"/bank/{quote(name)}")
    config = await api.json("GET", f"/api/v1/plugins/{quote(name)}/config", viewer.token)
    try:
        await api.json(
            "PUT",
            f"/api/v1/plugins/{quote(name)}/config",
            viewer.token,
            json={"enabled": form.text("enabled") == "on", "settings": config["settings"]},
        )
    except ApiProblem as exc:
        if exc.status == 422:
            # The stored configuration no longer fits (or there is none): the form says why.
            return redirect(request, f"/bank/{quote(name)}?setup=1")
        return await _list_page(request, api, viewer, problem_text(exc), exc.status)
    return redirect(request, f"{back}?done=1")


# -- one plugin --------------------------------------------------------------------------------


def _sync_fields(plugin: dict[str, Any]) -> list[str]:
    """The options a run of this plugin offers: a dated window for providers, and a setting
    that a run may override when the plugin has one of that name."""
    if plugin.get("accepts_upload"):
        return []
    settings = (plugin.get("settings_schema") or {}).get("properties") or {}
    fields = [name for name in ("count",) if name in settings]
    return [*fields, "date_from", "date_to"]


async def _plugin_page(
    request: Request,
    api: ApiDep,
    viewer: Viewer,
    name: str,
    *,
    form: Form | None = None,
    sync_form: Form | None = None,
    upload_form: Form | None = None,
    status: int = 200,
) -> Response:
    cursor = request.query_params.get("cursor")
    token = viewer.token
    plugins, config, syncs = await asyncio.gather(
        _plugins(api, viewer),
        api.json("GET", f"/api/v1/plugins/{quote(name)}/config", token),
        api.json(
            "GET",
            "/api/v1/syncs",
            token,
            params={"plugin": name, "limit": HISTORY_PAGE, "cursor": cursor},
        ),
    )
    plugin = _find(plugins, name)
    spec = PluginForm.of(plugin)
    if form is None:
        values = spec.values(config.get("settings") or {})
        if config.get("enabled") or not config.get("configured"):
            values["enabled"] = "on"
        form = Form(values=values)
    history = page(syncs)
    return render(
        request,
        "bank/plugin.html",
        {
            "section": "bank",
            "plugin": plugin,
            "config": config,
            "spec": spec,
            "form": form,
            "sync_form": sync_form or Form(),
            "sync_fields": _sync_fields(plugin),
            "upload_form": upload_form or Form(),
            "syncs": history,
            "next_cursor": syncs.get("next_cursor"),
            "cursor": cursor,
            "live": not cursor and any(s["status"] in ACTIVE for s in history[:1]),
            "setup": request.query_params.get("setup") == "1",
            "flash_text": _("Saved."),
        },
        block=_fragment(request, "history"),
        status_code=status,
    )


@router.get("/bank/syncs/{sync_id}")
async def sync_detail(request: Request, sync_id: UUID, api: ApiDep, viewer: SignedIn) -> Response:
    sync, plugins = await asyncio.gather(
        api.json("GET", f"/api/v1/syncs/{sync_id}", viewer.token), _plugins(api, viewer)
    )
    plugin = next((p for p in plugins if p["name"] == sync["plugin"]), {"name": sync["plugin"]})
    metadata = sync.get("metadata") or {}
    facts = [
        (key, value)
        for key, value in metadata.items()
        if isinstance(value, (str, int, float, bool)) and key != "duration_s"
    ]
    return render(
        request,
        "bank/sync.html",
        {
            "section": "bank",
            "sync": sync,
            "plugin": plugin,
            "facts": facts,
            "active": sync["status"] in ACTIVE,
            "flash_text": _("The sync will stop in a moment."),
        },
        block=_fragment(request, "sync"),
    )


@router.post("/bank/syncs/{sync_id}/cancel")
async def cancel_sync(request: Request, sync_id: UUID, api: ApiDep, viewer: SignedIn) -> Response:
    try:
        await api.json("POST", f"/api/v1/syncs/{sync_id}/cancel", viewer.token)
    except ApiProblem as exc:
        if exc.status != 409:  # already finished: the page shows how it ended
            raise
        return redirect(request, f"/bank/syncs/{sync_id}")
    return redirect(request, f"/bank/syncs/{sync_id}?done=1")


@router.get("/bank/{name}")
async def plugin_page(request: Request, name: str, api: ApiDep, viewer: SignedIn) -> Response:
    return await _plugin_page(request, api, viewer, name)


@router.post("/bank/{name}/config")
async def save_config(request: Request, name: str, api: ApiDep, viewer: SignedIn) -> Response:
    plugin = _find(await _plugins(api, viewer), name)
    spec = PluginForm.of(plugin)
    form = Form.of(await request.form())
    wanted = spec.read(form.values)
    shown = Form(values=without_secrets(form.values, spec))
    if wanted.errors:
        for field_name, message in wanted.errors.items():
            shown.error(field_name, _(message))
        return await _plugin_page(request, api, viewer, name, form=shown, status=422)
    try:
        await api.json(
            "PUT", f"/api/v1/plugins/{quote(name)}/config", viewer.token, json=wanted.body()
        )
    except ApiProblem as exc:
        if exc.status not in (400, 409, 422):
            raise
        placed = ApiProblem(
            exc.status,
            {**exc.problem, "errors": relocate(exc.errors, wanted.moved)},
            exc.headers,
        )
        secrets = {item.name for item in spec.credentials}
        for item in placed.errors:
            # A refused credential gets its error although its typed value is not kept.
            location = str(item["loc"][-1])
            if location in secrets:
                shown.values.setdefault(location, "")
        shown.refused(placed, aliases=spec.names)
        return await _plugin_page(request, api, viewer, name, form=shown, status=exc.status)
    return redirect(request, f"/bank/{quote(name)}?done=1")


def _refusal(exc: ApiProblem) -> str:
    reason = exc.problem.get("reason")
    if reason == "already_running":
        return _("A sync of this plugin is already running. Wait for it to finish.")
    if reason == "not_configured":
        return _("Configure the plugin before its first sync.")
    if reason == "disabled":
        return _("The plugin is disabled. Enable it to sync.")
    if reason == "upload_required":
        return _("This plugin imports files: upload a statement instead.")
    return problem_text(exc)


@router.post("/bank/{name}/syncs")
async def sync_now(request: Request, name: str, api: ApiDep, viewer: SignedIn) -> Response:
    form = Form.of(await request.form())
    body: dict[str, Any] = {}
    for option in SYNC_OPTIONS:
        value = form.text(option)
        if value is not None:
            body[option] = int(value) if option == "count" and value.isdigit() else value
    try:
        accepted = await api.json(
            "POST", f"/api/v1/plugins/{quote(name)}/syncs", viewer.token, json=body
        )
    except ApiProblem as exc:
        if exc.status not in (400, 409, 422):
            raise
        if exc.status == 409:
            form.error("", _refusal(exc))
            form.values["running_sync"] = str(exc.problem.get("sync_id") or "")
        else:
            form.refused(exc)
        return await _plugin_page(request, api, viewer, name, sync_form=form, status=exc.status)
    return redirect(request, f"/bank/syncs/{accepted['id']}")


@router.post("/bank/{name}/imports")
async def upload(request: Request, name: str, api: ApiDep, viewer: SignedIn) -> Response:
    data = await request.form()
    form = Form()
    file = data.get("file")
    if not isinstance(file, UploadFile) or not file.filename:
        form.error("file", _("Choose a statement file to upload."))
        return await _plugin_page(request, api, viewer, name, upload_form=form, status=422)
    content = await file.read()
    try:
        response = await api.send(
            "POST",
            f"/api/v1/plugins/{quote(name)}/imports",
            viewer.token,
            files={"file": (file.filename, content, file.content_type or "application/xml")},
        )
    except ApiProblem as exc:
        if exc.status == 413:
            form.error("file", _("The file is larger than 20 MB."))
        elif exc.status == 422:
            detail = str(exc.problem.get("detail") or "")
            form.error("file", _("This file cannot be imported: %(reason)s", reason=detail))
        elif exc.status == 409:
            form.error("file", _refusal(exc))
        else:
            raise
        return await _plugin_page(request, api, viewer, name, upload_form=form, status=exc.status)
    return redirect(request, f"/bank/syncs/{response.json()['id']}")
