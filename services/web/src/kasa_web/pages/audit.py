"""The audit trail: entries with their filters, an entry's before and after, the chain's status."""

import asyncio
import json
from datetime import date, datetime, time, timedelta
from typing import Any
from urllib.parse import urlencode
from uuid import UUID
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request
from starlette.responses import Response

from kasa_web.api_client import ApiProblem
from kasa_web.forms import Form
from kasa_web.pages.common import ApiDep, page
from kasa_web.rendering import env, is_htmx, render
from kasa_web.rendering import gettext as _
from kasa_web.viewer import SignedIn, Viewer

router = APIRouter(include_in_schema=False)

PAGE_SIZE = 50
SAME_REQUEST = 20
"""How many entries of the same correlation an entry's page lists."""
ZONE = ZoneInfo("Europe/Prague")
"""The days of the time filter are local days, as the pages show times (``i18n.moment``)."""
TEXT_FILTERS = ("entity_type", "entity_id", "actor", "source", "event_type", "correlation_id")
FILTERS = (*TEXT_FILTERS, "from", "to")
ACTOR_TYPES = ("user", "plugin", "system")
SERVICES = ("gateway", "invoicing", "integrations", "ledger", "audit")


def entity_labels() -> dict[str, str]:
    return {
        "account": _("Account"),
        "audit_chain": _("Audit chain"),
        "category": _("Category"),
        "category_rule": _("Categorization rule"),
        "client": _("Client"),
        "holding": _("Asset or liability"),
        "imported_transaction": _("Imported transaction"),
        "invitation": _("Invitation"),
        "invoice": _("Invoice"),
        "loan": _("Loan"),
        "loan_payment": _("Loan payment"),
        "match_suggestion": _("Match suggestion"),
        "member": _("Member"),
        "payment": _("Payment match"),
        "plugin_config": _("Plugin configuration"),
        "project": _("Project"),
        "supplier_profile": _("Supplier profile"),
        "sync": _("Sync"),
        "transaction": _("Transaction"),
        "user": _("User"),
        "work_entry": _("Work entry"),
        "workspace": _("Workspace"),
    }


def action_labels() -> dict[str, str]:
    return {
        "added": _("added"),
        "anchored": _("anchored"),
        "cancelled": _("cancelled"),
        "completed": _("completed"),
        "configured": _("configured"),
        "corrected": _("corrected"),
        "created": _("created"),
        "deleted": _("deleted"),
        "draft_deleted": _("draft deleted"),
        "draft_updated": _("draft changed"),
        "drafted": _("drafted"),
        "failed": _("failed"),
        "imported": _("imported"),
        "invited": _("invited"),
        "issued": _("issued"),
        "linked": _("linked"),
        "locked_out": _("locked out"),
        "logged_in": _("signed in"),
        "logged_out": _("signed out"),
        "matched": _("matched"),
        "paid": _("paid"),
        "password_changed": _("password changed"),
        "payment_recorded": _("payment recorded"),
        "portal_viewed": _("viewed in the portal"),
        "profile_changed": _("profile changed"),
        "progressed": _("progressed"),
        "recorded": _("recorded"),
        "registered": _("registered"),
        "rejected": _("rejected"),
        "removed": _("removed"),
        "requested": _("requested"),
        "revoked": _("revoked"),
        "share_revoked": _("portal link revoked"),
        "shared": _("shared"),
        "sign_in_failed": _("sign-in failed"),
        "started": _("started"),
        "unmatched": _("unmatched"),
        "updated": _("changed"),
        "valued": _("valued"),
    }


def actor_type_labels() -> dict[str, str]:
    return {"user": _("Person"), "plugin": _("Plugin"), "system": _("System")}


def what(entry: dict[str, Any]) -> str:
    """What happened, in words: the entity and the action (``Invoice issued``)."""
    entity = entity_labels().get(entry["entity_type"], entry["entity_type"])
    action = action_labels().get(entry["action"], entry["action"].replace("_", " "))
    return _("%(entity)s %(action)s", entity=entity, action=action)


def entity_link(entry: dict[str, Any], viewer: Viewer | None) -> str | None:
    """The web page of the entry's entity; none for a type that has no page."""
    entity_id = entry.get("entity_id")
    kind = entry["entity_type"]
    if kind == "supplier_profile":
        return "/supplier"
    if kind in ("member", "invitation"):
        return "/workspace" if viewer is not None and viewer.at_least("admin") else None
    if not entity_id:
        return None
    if kind == "plugin_config":
        return f"/bank/{entity_id}"
    pages = {
        "invoice": "/invoices/{}",
        "client": "/clients/{}",
        "project": "/projects/{}",
        "work_entry": "/time/entries/{}",
        "transaction": "/transactions/{}",
        "sync": "/bank/syncs/{}",
    }
    if kind not in pages:
        return None
    try:
        return pages[kind].format(UUID(str(entity_id)))
    except ValueError:
        return None


def shown_value(value: Any) -> str:
    """A field's value as the page shows it: text as it is, anything else as JSON."""
    if value is None:
        return "—"
    if isinstance(value, str):
        return value or "“”"
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def actor_label(actor: dict[str, Any]) -> str:
    if actor.get("name"):
        return str(actor["name"])
    return str(actor.get("id") or actor_type_labels().get(actor.get("type", ""), ""))


env.globals["audit_what"] = what
env.globals["audit_value"] = shown_value
env.globals["audit_actor"] = actor_label
env.globals["audit_entity_link"] = entity_link


def _local_midnight(day: date) -> str:
    return datetime.combine(day, time(0), tzinfo=ZONE).isoformat()


def trail_filters(request: Request) -> tuple[dict[str, str], Form]:
    """The filters asked for, and a form that marks the ones that cannot be used."""
    form = Form.of({k: request.query_params.get(k, "") for k in FILTERS})
    filters = {k: (form.text(k) or "") for k in FILTERS}
    actor_type = filters["actor"].partition(":")[0]
    if filters["actor"] and actor_type not in ACTOR_TYPES:
        form.error("actor", _("Choose a value from the list."))
        filters["actor"] = ""
    days: dict[str, date] = {}
    for name in ("from", "to"):
        if filters[name]:
            try:
                days[name] = date.fromisoformat(filters[name])
            except ValueError:
                form.error(name, _("Enter a date."))
                filters[name] = ""
    if "from" in days and "to" in days and days["from"] > days["to"]:
        form.error("to", _("The end is before the start."))
        filters["to"] = ""
    return filters, form


def api_query(filters: dict[str, str]) -> dict[str, str]:
    """The API's filters for the page's: an actor is ``type:id``, days are local days."""
    query = {k: filters[k] for k in TEXT_FILTERS if filters.get(k) and k != "actor"}
    if filters.get("actor"):
        actor_type, _sep, actor_id = filters["actor"].partition(":")
        query["actor_type"] = actor_type
        if actor_id:
            query["actor_id"] = actor_id
    if filters.get("from"):
        query["since"] = _local_midnight(date.fromisoformat(filters["from"]))
    if filters.get("to"):
        query["until"] = _local_midnight(date.fromisoformat(filters["to"]) + timedelta(days=1))
    return query


def trail_link(filters: dict[str, str], cursor: str | None = None) -> str:
    query = {k: v for k, v in filters.items() if v}
    if cursor:
        query["cursor"] = cursor
    return "/audit" + (f"?{urlencode(query)}" if query else "")


def export_link(filters: dict[str, str]) -> str:
    """The API's CSV export of exactly the entries the filters list."""
    return "/api/v1/audit-events/export?" + urlencode({**api_query(filters), "format": "csv"})


async def _actor_options(api: ApiDep, viewer: Viewer, current: str) -> list[tuple[str, str]]:
    """Who can be picked: the members, the plugins and the system; a former member or a
    plugin no longer offered stays pickable when the URL names it."""
    members, plugins = await asyncio.gather(
        api.json("GET", "/api/v1/members", viewer.token),
        api.json("GET", "/api/v1/plugins", viewer.token),
    )
    options = [(f"user:{m['user_id']}", m["name"] or m["email"]) for m in page(members)]
    options += [
        (f"plugin:{p['name']}", _("Plugin %(name)s", name=p.get("display_name") or p["name"]))
        for p in page(plugins)
    ]
    options += [("system", _("The system")), ("user", _("Any person")), ("plugin", _("Any plugin"))]
    if current and current not in {value for value, _label in options}:
        options.append((current, current))
    return options


@router.get("/audit")
async def trail(request: Request, api: ApiDep, viewer: SignedIn) -> Response:
    filters, form = trail_filters(request)
    cursor = request.query_params.get("cursor") or None
    params = {**api_query(filters), "limit": PAGE_SIZE, "cursor": cursor}
    try:
        entries, actors = await asyncio.gather(
            api.json("GET", "/api/v1/audit-events", viewer.token, params=params),
            _actor_options(api, viewer, filters["actor"]),
        )
    except ApiProblem as exc:
        if exc.status not in (400, 422):
            raise
        form.refused(exc, aliases={"since": "from", "until": "to", "actor_id": "actor"})
        entries, actors = {"items": []}, await _actor_options(api, viewer, filters["actor"])
    next_cursor = entries.get("next_cursor")
    plugin_sources = [v.partition(":")[2] for v, _label in actors if v.startswith("plugin:")]
    return render(
        request,
        "audit/trail.html",
        {
            "section": "audit",
            "form": form,
            "filters": filters,
            "filtered": any(filters.values()),
            "entries": page(entries),
            "actors": actors,
            "entity_types": sorted(entity_labels().items(), key=lambda item: item[1]),
            "sources": [(s, s) for s in (*SERVICES, *plugin_sources) if s],
            "next_link": trail_link(filters, next_cursor) if next_cursor else None,
            "first_link": trail_link(filters) if cursor else None,
            "export_link": export_link(filters),
        },
        block="results" if request.headers.get("hx-target") == "audit-results" else None,
    )


@router.get("/audit/chain")
async def chain_status(request: Request, api: ApiDep, viewer: SignedIn) -> Response:
    """The chain's status panel: walking the chain reads the whole trail, so the trail's page
    loads it after itself."""
    # The trail's placeholder asks for the fragment; a boosted link to the page does not.
    htmx = is_htmx(request) and request.query_params.get("fragment") == "chain"
    verified, anchor = await asyncio.gather(
        api.json("GET", "/api/v1/audit-events/verify", viewer.token),
        _latest_anchor(api, viewer),
    )
    return render(
        request,
        "audit/chain.html",
        # Within the trail's page a section; on a page of its own, the page's heading.
        {"section": "audit", "verified": verified, "anchor": anchor, "level": 2 if htmx else 1},
        block="chain" if htmx else None,
    )


async def _latest_anchor(api: ApiDep, viewer: Viewer) -> dict[str, Any] | None:
    try:
        found: dict[str, Any] = await api.json(
            "GET", "/api/v1/audit-events/anchors/latest", viewer.token
        )
    except ApiProblem as exc:
        if exc.status != 404:
            raise
        return None
    return found


@router.get("/audit/{entry_id}")
async def entry_page(request: Request, entry_id: UUID, api: ApiDep, viewer: SignedIn) -> Response:
    entry = await api.json("GET", f"/api/v1/audit-events/{entry_id}", viewer.token)
    related: list[dict[str, Any]] = []
    more = False
    if entry.get("correlation_id"):
        found = await api.json(
            "GET",
            "/api/v1/audit-events",
            viewer.token,
            params={"correlation_id": entry["correlation_id"], "limit": SAME_REQUEST},
        )
        related = page(found)
        more = bool(found.get("next_cursor"))
    actor = entry["actor"]
    actor_filter = f"{actor['type']}:{actor['id']}" if actor.get("id") else actor["type"]
    causes = [e for e in related if e["event_id"] == entry.get("causation_id")]
    return render(
        request,
        "audit/entry.html",
        {
            "section": "audit",
            "entry": entry,
            "link": entity_link(entry, viewer),
            "entity_label": entity_labels().get(entry["entity_type"], entry["entity_type"]),
            "actor_types": actor_type_labels(),
            "related": related,
            "more_related": more,
            "cause": causes[0] if causes else None,
            "correlation_link": trail_link({"correlation_id": entry["correlation_id"]})
            if entry.get("correlation_id")
            else None,
            "entity_trail_link": trail_link(
                {"entity_type": entry["entity_type"], "entity_id": entry["entity_id"]}
            )
            if entry.get("entity_id")
            else None,
            "actor_trail_link": trail_link({"actor": actor_filter}),
        },
    )
