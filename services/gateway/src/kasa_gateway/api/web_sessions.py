"""Cookie sessions for the web UI: sign in with a form or JSON, switch workspace, sign out."""

from datetime import datetime, timedelta
from typing import Any

from fastapi import APIRouter, Request, Response, status
from pydantic import BaseModel, ValidationError
from sqlalchemy import update

from kasa_gateway import login_throttle
from kasa_gateway.api.auth import SwitchIn, TokenIn, authenticate, logged_in, logged_out
from kasa_gateway.api.deps import ClientAddress, LimitersDep, Settings, bearer_session_id
from kasa_gateway.db.tables import Membership, User, WebSession
from kasa_gateway.guards.cookie_sessions import CSRF_COOKIE, SESSION_COOKIE
from kasa_gateway.sessions import create_web_session, csrf_token_for, revoke_session
from kasa_servicekit.auth import CurrentPrincipal
from kasa_servicekit.db import utcnow
from kasa_servicekit.outbox import add_events
from kasa_servicekit.problems import ProblemError
from kasa_servicekit.service import Db

router = APIRouter(prefix="/api/v1/auth/session", tags=["auth"])


class WebSessionOut(BaseModel):
    csrf_token: str
    """Send it back as ``X-CSRF-Token`` (or form field ``csrf_token``) on every change."""
    expires_at: datetime


async def _credentials(request: Request) -> TokenIn:
    content_type = request.headers.get("content-type", "")
    data: Any
    if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
        form = await request.form()
        data = {k: v for k, v in form.items() if k in ("email", "password")}
    else:
        try:
            data = await request.json()
        except ValueError as exc:
            raise ProblemError(422, "Unprocessable Content", "the body is not valid JSON") from exc
    try:
        return TokenIn.model_validate(data)
    except ValidationError as exc:
        errors = [
            {"loc": ["body", *e["loc"]], "msg": e["msg"], "type": e["type"]} for e in exc.errors()
        ]
        raise ProblemError(
            422, "Unprocessable Content", "The request is not valid", errors=errors
        ) from exc


@router.post(
    "",
    response_model=WebSessionOut,
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {"schema": TokenIn.model_json_schema()},
                "application/x-www-form-urlencoded": {"schema": TokenIn.model_json_schema()},
            },
        }
    },
    responses={401: {"description": "Wrong email or password"}, 429: {"description": "Later"}},
)
async def sign_in(
    request: Request,
    response: Response,
    db: Db,
    settings: Settings,
    limiters: LimitersDep,
    address: ClientAddress,
) -> WebSessionOut:
    """Sign in for the browser: sets an HttpOnly session cookie and a CSRF cookie."""
    body = await _credentials(request)
    user, membership = await authenticate(
        db, settings, limiters, address, body.email, body.password
    )
    async with db.transaction() as session:
        await login_throttle.clear(session, user.email)
        token = await create_web_session(session, settings, user, membership)
        await add_events(session, [logged_in(user, membership, "web_session")])
    lifetime = timedelta(hours=settings.web_session_hours)
    csrf = csrf_token_for(token)
    common: dict[str, Any] = {
        "max_age": int(lifetime.total_seconds()),
        "secure": settings.cookie_secure,
        "samesite": "lax",
        "path": "/",
    }
    response.set_cookie(SESSION_COOKIE, token, httponly=True, **common)
    # Readable by our own pages' scripts, which echo it in X-CSRF-Token.
    response.set_cookie(CSRF_COOKIE, csrf, httponly=False, **common)
    return WebSessionOut(csrf_token=csrf, expires_at=utcnow() + lifetime)


@router.put(
    "/workspace",
    status_code=status.HTTP_204_NO_CONTENT,
    responses={
        404: {"description": "Not a member of that workspace"},
        409: {"description": "Not a browser session"},
    },
)
async def switch_workspace(
    body: SwitchIn, request: Request, principal: CurrentPrincipal, db: Db
) -> Response:
    """Make the browser session act in another workspace the caller belongs to."""
    sid = bearer_session_id(request)
    async with db.transaction() as session:
        user = await session.get(User, principal.user_id)
        membership = await session.get(Membership, (principal.user_id, body.workspace_id))
        if user is None or membership is None:
            raise ProblemError(404, "Not Found", "workspace does not exist")
        switched = await session.execute(
            update(WebSession)
            .where(
                WebSession.id == sid,
                WebSession.user_id == user.id,
                WebSession.revoked_at.is_(None),
            )
            .values(workspace_id=membership.workspace_id)
        )
        if getattr(switched, "rowcount", 0) != 1:
            raise ProblemError(
                409, "Conflict", "only a browser session switches this way; use /auth/switch"
            )
        await add_events(session, [logged_in(user, membership, "switch")])
    # Once committed: the session's next request must act in the new workspace.
    request.app.state.web_sessions.forget(sid)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.delete("", status_code=status.HTTP_204_NO_CONTENT)
async def sign_out(request: Request, principal: CurrentPrincipal, db: Db) -> Response:
    """End the browser session (needs the CSRF token like any change)."""
    sid = bearer_session_id(request)
    async with db.transaction() as session:
        if sid:
            await revoke_session(session, sid)
        event = logged_out(principal.user_id, principal.workspace_id, principal.name, "web_session")
        await add_events(session, [event])
    request.app.state.web_sessions.forget(sid)
    response = Response(status_code=status.HTTP_204_NO_CONTENT)
    response.delete_cookie(SESSION_COOKIE, path="/")
    response.delete_cookie(CSRF_COOKIE, path="/")
    return response
