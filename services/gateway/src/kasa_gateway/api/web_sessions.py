"""Cookie sessions for the web UI: sign in with a form or JSON, switch workspace, sign out."""

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request, Response, status
from pydantic import BaseModel, ValidationError

from kasa_gateway.api.auth_bodies import SwitchIn, TokenIn
from kasa_gateway.api.deps import ClientDep, LimitersDep, Settings, Store, bearer_session_id
from kasa_gateway.app import web_sessions
from kasa_gateway.app.accounts import Credentials
from kasa_gateway.guards.cookie_sessions import CookieNames
from kasa_servicekit.auth import MIN_ROLE, ViewerPrincipal
from kasa_servicekit.minimum_roles import PUBLIC
from kasa_servicekit.problems import ProblemError
from kasa_servicekit.service import Events

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
        MIN_ROLE: PUBLIC,
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {"schema": TokenIn.model_json_schema()},
                "application/x-www-form-urlencoded": {"schema": TokenIn.model_json_schema()},
            },
        },
    },
    responses={
        401: {"description": "Wrong email or password"},
        403: {"description": "Posted from another site"},
        429: {"description": "Too many attempts; see Retry-After"},
    },
)
async def sign_in(
    request: Request,
    response: Response,
    store: Store,
    events: Events,
    settings: Settings,
    limiters: LimitersDep,
    client: ClientDep,
) -> WebSessionOut:
    """Sign in for the browser: sets an HttpOnly session cookie and a CSRF cookie (named
    ``__Host-kasa_session`` and ``__Host-kasa_csrf`` when the site is served over https).
    A post from another site is refused (403)."""
    body = await _credentials(request)
    credentials = Credentials(body.email, body.password, client.address, client.user_agent)
    signed_in = await web_sessions.sign_in(store, events, settings, limiters, credentials)
    names: CookieNames = request.app.state.cookie_names
    common: dict[str, Any] = {
        "max_age": int(signed_in.lifetime.total_seconds()),
        "secure": settings.secure_cookies,
        "samesite": "lax",
        "path": "/",
    }
    response.set_cookie(names.session, signed_in.token, httponly=True, **common)
    # Readable by our own pages' scripts, which echo it in X-CSRF-Token.
    response.set_cookie(names.csrf, signed_in.csrf_token, httponly=False, **common)
    return WebSessionOut(csrf_token=signed_in.csrf_token, expires_at=signed_in.expires_at)


@router.put(
    "/workspace",
    status_code=status.HTTP_204_NO_CONTENT,
    responses={
        404: {"description": "Not a member of that workspace"},
        409: {"description": "Not a browser session"},
    },
)
async def switch_workspace(
    body: SwitchIn,
    request: Request,
    principal: ViewerPrincipal,
    store: Store,
    events: Events,
    client: ClientDep,
) -> Response:
    """Make the browser session act in another workspace the caller belongs to."""
    sid = bearer_session_id(request)
    await web_sessions.switch_workspace(store, events, principal, sid, body.workspace_id, client)
    # Once committed: the session's next request must act in the new workspace.
    request.app.state.web_sessions.forget(sid)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.delete("", status_code=status.HTTP_204_NO_CONTENT)
async def sign_out(
    request: Request,
    principal: ViewerPrincipal,
    store: Store,
    events: Events,
    settings: Settings,
    client: ClientDep,
) -> Response:
    """End the browser session (needs the CSRF token like any change)."""
    sid = bearer_session_id(request)
    await web_sessions.sign_out(store, events, principal, sid, client, settings=settings)
    request.app.state.web_sessions.forget(sid)
    response = Response(status_code=status.HTTP_204_NO_CONTENT)
    names: CookieNames = request.app.state.cookie_names
    # A browser ignores the removal of a ``__Host-`` cookie unless it is ``Secure`` too.
    for name, httponly in ((names.session, True), (names.csrf, False)):
        response.delete_cookie(
            name, path="/", secure=settings.secure_cookies, httponly=httponly, samesite="lax"
        )
    return response
