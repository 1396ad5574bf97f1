"""Workspace administration for owners and admins: members, invitations, sessions, plugins
and rate limits."""

import asyncio
import re
from typing import Any
from uuid import UUID

import jwt
from fastapi import APIRouter, Request
from starlette.exceptions import HTTPException
from starlette.responses import Response

from kasa_web.api_client import ApiProblem
from kasa_web.errors import error_page, redirect
from kasa_web.forms import Form, problem_text
from kasa_web.pages.common import ApiDep, page
from kasa_web.rendering import env, render
from kasa_web.rendering import gettext as _
from kasa_web.viewer import SignedIn, Viewer

router = APIRouter(include_in_schema=False)

ROLES = ("owner", "admin", "member", "viewer")


def done_texts() -> dict[str, str]:
    return {
        "role": _("Role changed. The member signs in again to act with it."),
        "removed": _("Member removed. Their sessions in this workspace have ended."),
        "revoked": _("Invitation withdrawn. Its link no longer works."),
        "signed_out": _("Session signed out."),
        "signed_out_all": _("Every session of this member in the workspace is signed out."),
    }


def assignable(viewer: Viewer, target_role: str) -> list[str]:
    """The roles the viewer may give a member who has ``target_role`` (the API's rule: owners
    manage everyone, admins everyone but owners and cannot make owners); none: hands off."""
    if viewer.role == "owner":
        return list(ROLES)
    if viewer.role == "admin" and target_role != "owner":
        return [r for r in ROLES if r != "owner"]
    return []


_BROWSERS = (
    ("Edg/", "Edge"),
    ("Firefox/", "Firefox"),
    ("Chrome/", "Chrome"),
    ("Safari/", "Safari"),
)
_SYSTEMS = (
    ("Android", "Android"),
    ("iPhone", "iOS"),
    ("iPad", "iPadOS"),
    ("Windows", "Windows"),
    ("Mac OS X", "macOS"),
    ("Linux", "Linux"),
)


def device(user_agent: str | None) -> str:
    """A session's device in a few words (``Firefox on Linux``); the client's own name for
    anything that is not a known browser."""
    if not user_agent:
        return _("Unknown device")
    browser = next((name for mark, name in _BROWSERS if mark in user_agent), None)
    system = next((name for mark, name in _SYSTEMS if mark in user_agent), None)
    if browser and system:
        return _("%(browser)s on %(system)s", browser=browser, system=system)
    first = re.split(r"[\s(]", user_agent.strip(), maxsplit=1)[0]
    return browser or first or user_agent


env.globals["session_device"] = device


def _refuse_unless_admin(request: Request, viewer: Viewer) -> Response | None:
    # The API refuses these reads too; the page says so before asking it.
    if not viewer.at_least("admin"):
        return error_page(request, 403, "403")
    return None


async def _overview(
    request: Request,
    api: ApiDep,
    viewer: Viewer,
    *,
    invite_form: Form | None = None,
    new_link: dict[str, Any] | None = None,
    member_error: tuple[str, str] | None = None,
    status: int = 200,
) -> Response:
    token = viewer.token
    members, invitations, plugins, limits = await asyncio.gather(
        api.json("GET", "/api/v1/members", token),
        api.json("GET", "/api/v1/invitations", token),
        api.json("GET", "/api/v1/plugins", token),
        api.json("GET", "/api/v1/rate-limits", token),
    )
    people = page(members)
    plugins_listed = sorted(
        page(plugins), key=lambda p: (not p.get("enabled"), not p.get("configured"), p["name"])
    )
    done = request.query_params.get("done")
    return render(
        request,
        "workspace/index.html",
        {
            "section": "workspace",
            "members": people,
            "roles_for": {m["user_id"]: assignable(viewer, m["role"]) for m in people},
            "invitations": page(invitations),
            "invite_roles": [(r, r) for r in assignable(viewer, "member")],
            "invite_form": invite_form or Form(values={"role": "member"}),
            "new_link": new_link,
            "member_error": member_error,
            "plugins": plugins_listed,
            "limits": page(limits),
            "names": {m["user_id"]: m["name"] or m["email"] for m in people},
            "flash_text": done_texts().get(done or ""),
        },
        status_code=status,
    )


@router.get("/workspace")
async def overview(request: Request, api: ApiDep, viewer: SignedIn) -> Response:
    return _refuse_unless_admin(request, viewer) or await _overview(request, api, viewer)


# Invitations


@router.post("/workspace/invitations")
async def invite(request: Request, api: ApiDep, viewer: SignedIn) -> Response:
    form = Form.of(await request.form())
    body = {"email": form.text("email") or "", "role": form.text("role") or "member"}
    try:
        created = await api.json("POST", "/api/v1/invitations", viewer.token, json=body)
    except ApiProblem as exc:
        unverified = exc.status == 403 and exc.problem.get("reason") == "email_unverified"
        if exc.status not in (400, 409, 422) and not unverified:
            raise
        if exc.status == 409:
            form.error("email", _("This person is already a member of the workspace."))
        else:
            form.refused(exc)
        return await _overview(request, api, viewer, invite_form=form, status=exc.status)
    # The link is shown once: its token is kept only as a hash.
    return await _overview(request, api, viewer, new_link={**created, "renewed": False})


@router.post("/workspace/invitations/{invitation_id}/resend")
async def resend(request: Request, invitation_id: UUID, api: ApiDep, viewer: SignedIn) -> Response:
    renewed = await api.json("POST", f"/api/v1/invitations/{invitation_id}/resend", viewer.token)
    return await _overview(request, api, viewer, new_link={**renewed, "renewed": True})


@router.post("/workspace/invitations/{invitation_id}/revoke")
async def revoke(request: Request, invitation_id: UUID, api: ApiDep, viewer: SignedIn) -> Response:
    await api.send("DELETE", f"/api/v1/invitations/{invitation_id}", viewer.token)
    return redirect(request, "/workspace?done=revoked")


# Members


@router.post("/workspace/members/{user_id}/role")
async def change_role(request: Request, user_id: UUID, api: ApiDep, viewer: SignedIn) -> Response:
    form = Form.of(await request.form())
    try:
        await api.json(
            "PATCH", f"/api/v1/members/{user_id}", viewer.token, json={"role": form.text("role")}
        )
    except ApiProblem as exc:
        if exc.status not in (400, 409, 422):
            raise
        message = (
            _("A workspace keeps at least one owner.") if exc.status == 409 else problem_text(exc)
        )
        error = (str(user_id), message)
        return await _overview(request, api, viewer, member_error=error, status=exc.status)
    return redirect(request, "/workspace?done=role")


async def _member(api: ApiDep, viewer: Viewer, user_id: UUID) -> dict[str, Any]:
    members = page(await api.json("GET", "/api/v1/members", viewer.token))
    found = next((m for m in members if m["user_id"] == str(user_id)), None)
    if found is None:
        raise HTTPException(404)
    return found


@router.get("/workspace/members/{user_id}/remove")
async def confirm_removal(
    request: Request, user_id: UUID, api: ApiDep, viewer: SignedIn
) -> Response:
    refused = _refuse_unless_admin(request, viewer)
    if refused:
        return refused
    member = await _member(api, viewer, user_id)
    return render(
        request,
        "workspace/remove.html",
        {"section": "workspace", "member": member, "error": None},
    )


@router.post("/workspace/members/{user_id}/remove")
async def remove(request: Request, user_id: UUID, api: ApiDep, viewer: SignedIn) -> Response:
    try:
        await api.send("DELETE", f"/api/v1/members/{user_id}", viewer.token)
    except ApiProblem as exc:
        if exc.status != 409:
            raise
        member = await _member(api, viewer, user_id)
        context = {
            "section": "workspace",
            "member": member,
            "error": _("A workspace keeps at least one owner."),
        }
        return render(request, "workspace/remove.html", context, status_code=409)
    return redirect(request, "/workspace?done=removed")


# A member's sessions


@router.get("/workspace/members/{user_id}")
async def member_sessions(
    request: Request, user_id: UUID, api: ApiDep, viewer: SignedIn
) -> Response:
    refused = _refuse_unless_admin(request, viewer)
    if refused:
        return refused
    member, sessions = await asyncio.gather(
        _member(api, viewer, user_id),
        api.json("GET", f"/api/v1/members/{user_id}/sessions", viewer.token),
    )
    done = request.query_params.get("done")
    return render(
        request,
        "workspace/member.html",
        {
            "section": "workspace",
            "member": member,
            "sessions": page(sessions),
            "own_session": _session_id(viewer),
            "flash_text": done_texts().get(done or ""),
        },
    )


def _session_id(viewer: Viewer) -> str | None:
    """The ``sid`` of the viewer's own session, so the page can mark it."""
    sid = jwt.decode(viewer.token, options={"verify_signature": False}).get("sid")
    return str(sid) if sid else None


@router.post("/workspace/members/{user_id}/sessions/{session_id}/sign-out")
async def sign_out_session(
    request: Request, user_id: UUID, session_id: UUID, api: ApiDep, viewer: SignedIn
) -> Response:
    try:
        await api.send("DELETE", f"/api/v1/members/{user_id}/sessions/{session_id}", viewer.token)
    except ApiProblem as exc:
        if exc.status != 404:
            raise
        # Ended meanwhile (signed out, or expired): the list shows what is left.
    return redirect(request, f"/workspace/members/{user_id}?done=signed_out")


@router.post("/workspace/members/{user_id}/sessions/sign-out")
async def sign_out_all(request: Request, user_id: UUID, api: ApiDep, viewer: SignedIn) -> Response:
    await api.send("DELETE", f"/api/v1/members/{user_id}/sessions", viewer.token)
    return redirect(request, f"/workspace/members/{user_id}?done=signed_out_all")
