"""Operator pages for the instance operator: what ``kasa status`` and ``kasa dlq`` show and do.

An alternative to the command, not a replacement: the same API (``/api/v1/operator``), the
same choices, the same dry run before a requeue or a discard. Whoever is not an instance
operator gets the 404 page: they should not learn that the pages exist.
"""

import json
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from starlette.exceptions import HTTPException
from starlette.responses import Response

from kasa_web import i18n
from kasa_web.errors import redirect
from kasa_web.pages.common import ApiDep
from kasa_web.rendering import is_htmx, render
from kasa_web.viewer import SignedIn, Viewer

router = APIRouter(include_in_schema=False)

API = "/api/v1/operator"
REFRESH_SECONDS = 5
"""How often the status overview asks again."""
PAGE = 100
"""Parked messages listed per queue page; a dry run looks at up to ``CONFIRM_LIMIT``."""
CONFIRM_LIMIT = 500
ACTIONS = ("requeue", "discard")


def operator_only(viewer: Viewer) -> Viewer:
    """The instance operator; anyone else gets the 404 page."""
    if not viewer.principal.operator:
        raise HTTPException(404)
    return viewer


def _queue_path(queue: str) -> str:
    return f"{API}/queues/{quote(queue, safe='')}/parked"


def _queues(status: dict[str, Any]) -> list[dict[str, Any]]:
    """Every consumer queue with the service that owns it, most parked messages first."""
    found = [
        {**queue, "service": service["service"]}
        for service in status.get("services", [])
        for queue in service.get("queues", [])
    ]
    return sorted(found, key=lambda q: (-(q.get("parked_messages") or 0), q["queue"]))


def _totals(status: dict[str, Any]) -> dict[str, int]:
    services = status.get("services", [])
    queues = _queues(status)
    return {
        "services": len(services),
        "ready": sum(1 for s in services if s.get("ready")),
        "parked": sum(q.get("parked_messages") or 0 for q in queues),
        "waiting": sum((s.get("outbox") or {}).get("waiting") or 0 for s in services),
    }


@router.get("/operator")
async def overview(request: Request, api: ApiDep, viewer: SignedIn) -> Response:
    operator_only(viewer)
    status = await api.json("GET", f"{API}/status", viewer.token)
    fragment = "status" if is_htmx(request) and request.query_params.get("fragment") else None
    return render(
        request,
        "operator/index.html",
        {
            "section": "operator",
            "status": status,
            "totals": _totals(status),
            "refresh": REFRESH_SECONDS,
        },
        block=fragment,
    )


@router.get("/operator/parked")
async def parked_queues(request: Request, api: ApiDep, viewer: SignedIn) -> Response:
    operator_only(viewer)
    status = await api.json("GET", f"{API}/status", viewer.token)
    return render(
        request,
        "operator/parked.html",
        {"section": "operator", "queues": _queues(status), "broker": status.get("broker", {})},
    )


def _done_text(request: Request) -> str | None:
    count = request.query_params.get("n", "")
    n = int(count) if count.isdigit() else 0
    done = request.query_params.get("done")
    messages = i18n.translations(i18n.current_locale.get())
    if done == "requeue":
        text = messages.ngettext(
            "Sent %(num)s message back to the queue.", "Sent %(num)s messages back to the queue.", n
        )
    elif done == "discard":
        text = messages.ngettext(
            "Dropped %(num)s message for good.", "Dropped %(num)s messages for good.", n
        )
    else:
        return None
    return text % {"num": n}


@router.get("/operator/parked/{queue}")
async def parked_list(request: Request, queue: str, api: ApiDep, viewer: SignedIn) -> Response:
    operator_only(viewer)
    event_type = request.query_params.get("event_type") or None
    found = await api.json(
        "GET",
        _queue_path(queue),
        viewer.token,
        params={"event_type": event_type, "limit": PAGE},
    )
    return render(
        request,
        "operator/queue.html",
        {
            "section": "operator",
            "queue": queue,
            "parked": found,
            "event_type": event_type or "",
            "flash_text": _done_text(request),
        },
    )


def _pretty(body: str) -> str:
    try:
        return json.dumps(json.loads(body), indent=2, ensure_ascii=False)
    except ValueError:
        return body


@router.get("/operator/parked/{queue}/messages/{message_id}")
async def parked_message(
    request: Request, queue: str, message_id: str, api: ApiDep, viewer: SignedIn
) -> Response:
    operator_only(viewer)
    message = await api.json(
        "GET", f"{_queue_path(queue)}/{quote(message_id, safe='')}", viewer.token
    )
    return render(
        request,
        "operator/message.html",
        {
            "section": "operator",
            "queue": queue,
            "message": message,
            "body": _pretty(message["body"]),
        },
    )


def _action(action: str) -> str:
    if action not in ACTIONS:
        raise HTTPException(404)
    return action


@router.get("/operator/parked/{queue}/{action}")
async def confirm(
    request: Request, queue: str, action: str, api: ApiDep, viewer: SignedIn
) -> Response:
    """The dry run first: what a requeue or discard would do, and a button that does it."""
    operator_only(viewer)
    _action(action)
    message_id = request.query_params.get("message_id")
    event_type = request.query_params.get("event_type") or None
    selection: dict[str, Any] = {"dry_run": True, "limit": CONFIRM_LIMIT}
    if message_id:
        selection["message_ids"] = [message_id]
    if event_type:
        selection["event_type"] = event_type
    plan = await api.json("POST", f"{_queue_path(queue)}/{action}", viewer.token, json=selection)
    chosen = plan["requeued"] if action == "requeue" else plan["discarded"]
    return render(
        request,
        "operator/confirm.html",
        {
            "section": "operator",
            "queue": queue,
            "action": action,
            "chosen": chosen,
            "left_parked": plan.get("left_parked", []),
            "message_id": message_id,
            "event_type": event_type or "",
            "limited": len(chosen) >= CONFIRM_LIMIT,
        },
    )


@router.post("/operator/parked/{queue}/{action}")
async def act(request: Request, queue: str, action: str, api: ApiDep, viewer: SignedIn) -> Response:
    """Do what the dry run showed: exactly the messages it listed, by their ids."""
    operator_only(viewer)
    _action(action)
    form = await request.form()
    ids = [str(value) for value in form.getlist("message_id") if str(value)]
    if not ids:
        return redirect(request, f"/operator/parked/{quote(queue, safe='')}")
    result = await api.json(
        "POST",
        f"{_queue_path(queue)}/{action}",
        viewer.token,
        json={"message_ids": ids, "limit": len(ids)},
    )
    done = result["requeued"] if action == "requeue" else result["discarded"]
    back = f"/operator/parked/{quote(queue, safe='')}?done={action}&n={len(done)}"
    return redirect(request, back)
