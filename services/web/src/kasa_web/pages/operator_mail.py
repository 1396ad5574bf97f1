"""The operator's mail page: what ``kasa mail`` shows and does, for the instance operator.

Each service that sends mail keeps its own outbox (ADR 0023); the page lists them side by side
with their parked mail. Retrying is safe and done at once; dropping shows what would go first.
"""

from typing import Any
from uuid import UUID

from fastapi import APIRouter, Request
from starlette.exceptions import HTTPException
from starlette.responses import Response

from kasa_web.errors import redirect
from kasa_web.pages.common import ApiDep
from kasa_web.pages.operator import operator_only
from kasa_web.rendering import render
from kasa_web.viewer import SignedIn

router = APIRouter(include_in_schema=False)

API = "/api/v1/operator/mail"
STATUSES = ("parked", "queued", "sent", "dropped")
SERVICES = ("gateway", "invoicing")


def _chosen(form: Any) -> list[str] | None:
    """The mail ids a form names, each a UUID; ``None`` for every parked mail."""
    ids = [str(i) for i in form.getlist("id") if str(i)]
    for mail_id in ids:
        try:
            UUID(mail_id)
        except ValueError as exc:
            raise HTTPException(400) from exc
    return ids or None


def _service(service: str) -> str:
    if service not in SERVICES:
        raise HTTPException(404)
    return service


@router.get("/operator/mail")
async def mail_page(request: Request, api: ApiDep, viewer: SignedIn) -> Response:
    operator_only(viewer)
    status = request.query_params.get("status", "parked")
    if status not in STATUSES:
        status = "parked"
    services = await api.json("GET", API, viewer.token, params={"status": status})
    done = request.query_params.get("done")
    return render(
        request,
        "operator/mail.html",
        {
            "section": "operator",
            "services": services,
            "status": status,
            "statuses": STATUSES,
            "done": done if done in ("retry", "drop") else None,
            "done_count": int(request.query_params.get("n", "0") or 0),
        },
    )


@router.post("/operator/mail/{service}/retry")
async def retry(request: Request, service: str, api: ApiDep, viewer: SignedIn) -> Response:
    operator_only(viewer)
    ids = _chosen(await request.form())
    done = await api.json(
        "POST", f"{API}/{_service(service)}/retry", viewer.token, json={"ids": ids}
    )
    return redirect(request, f"/operator/mail?done=retry&n={int(done.get('retried', 0))}")


@router.get("/operator/mail/{service}/drop")
async def confirm_drop(request: Request, service: str, api: ApiDep, viewer: SignedIn) -> Response:
    operator_only(viewer)
    ids = [str(i) for i in request.query_params.getlist("id")] or None
    wanted = set(ids or ())
    listed = await api.json("GET", API, viewer.token, params={"status": "parked"})
    parked = listed.get(_service(service), {}).get("items", [])
    chosen = [m for m in parked if not wanted or m["id"] in wanted]
    return render(
        request,
        "operator/mail_drop.html",
        {"section": "operator", "service": service, "chosen": chosen},
    )


@router.post("/operator/mail/{service}/drop")
async def drop(request: Request, service: str, api: ApiDep, viewer: SignedIn) -> Response:
    operator_only(viewer)
    ids = _chosen(await request.form())
    done = await api.json(
        "POST", f"{API}/{_service(service)}/drop", viewer.token, json={"ids": ids}
    )
    return redirect(request, f"/operator/mail?done=drop&n={int(done.get('dropped', 0))}")
