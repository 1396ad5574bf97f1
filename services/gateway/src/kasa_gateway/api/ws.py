"""``GET /api/v1/ws``: a WebSocket that pushes the caller's workspace's events.

Authenticate with ``?token=<access token>``, with a first message
``{"type": "auth", "token": "..."}``, or, from Kasa's own pages, with the browser's session
cookie (the ``Origin`` must then be this site's); add ``after=<event id>`` (query or that
message) to resume after the last event received.
Messages: ``{"type": "ready", "workspace_id"}``, then
``{"type": "event", "event_id", "event_type", "workspace_id", "occurred_at", "correlation_id",
"payload"}``;
``{"type": "resync"}`` says events may have been missed and the client should reload.
The socket closes with code 4401 on a bad token and when the token expires.
"""

import asyncio
import contextlib
import json
import time

import jwt
from fastapi import APIRouter, WebSocket, WebSocketDisconnect

from kasa_gateway.guards import own_origin
from kasa_gateway.push.hub import Hub
from kasa_servicekit.auth import JwksVerifier, Principal
from kasa_servicekit.problems import ProblemError
from kasa_servicekit.revocations import RevokedSessions

router = APIRouter()

AUTH_TIMEOUT_SECONDS = 10
UNAUTHORIZED = 4401


def _same_origin(websocket: WebSocket) -> bool:
    """A cookie rides along with any site's socket; only our own pages may use it."""
    origin = websocket.headers.get("origin")
    public_url: str = websocket.app.state.public_url
    return bool(origin) and own_origin(origin or "", websocket.headers.get("host"), public_url)


async def _cookie_token(websocket: WebSocket) -> str | None:
    state = websocket.app.state
    cookie = websocket.cookies.get(state.cookie_names.session)
    if not cookie or not _same_origin(websocket):
        return None
    session = await state.web_sessions.live(state.runtime.db, cookie)
    if session is None:
        return None
    token: str = state.web_sessions.token(session)
    return token


async def _authenticate(
    websocket: WebSocket,
) -> tuple[Principal, float, str, str | None] | None:
    token = websocket.query_params.get("token")
    after = websocket.query_params.get("after")
    if not token and websocket.app.state.cookie_names.session in websocket.cookies:
        token = await _cookie_token(websocket)
        if token is None:
            return None
    if not token:
        try:
            first = json.loads(
                await asyncio.wait_for(websocket.receive_text(), AUTH_TIMEOUT_SECONDS)
            )
            token = str(first.get("token", "")) if isinstance(first, dict) else ""
            after = first.get("after", after) if isinstance(first, dict) else after
        except (TimeoutError, ValueError):
            return None
    verifier: JwksVerifier = websocket.app.state.verifier
    try:
        principal = await verifier.verify(token)
    except ProblemError:
        return None
    claims = jwt.decode(token, options={"verify_signature": False})
    return principal, float(claims["exp"]), str(claims["sid"]), str(after) if after else None


@router.websocket("/api/v1/ws")
async def events(websocket: WebSocket) -> None:
    await websocket.accept()
    authenticated = await _authenticate(websocket)
    if authenticated is None:
        await websocket.close(UNAUTHORIZED, "a valid access token is required")
        return
    principal, expires, session_id, after = authenticated
    revoked: RevokedSessions = websocket.app.state.revoked_sessions
    hub: Hub = websocket.app.state.hub
    listener, missed, complete = hub.subscribe(principal.workspace_id, after)
    try:
        await websocket.send_json({"type": "ready", "workspace_id": str(principal.workspace_id)})
        if not complete:
            await websocket.send_json({"type": "resync"})
        for message in missed:
            await websocket.send_text(message)
        receiver = asyncio.create_task(_drain(websocket))
        try:
            while True:
                remaining = expires - time.time()
                if remaining <= 0:
                    await websocket.close(UNAUTHORIZED, "the access token expired")
                    return
                getter = asyncio.create_task(listener.queue.get())
                done, _ = await asyncio.wait(
                    {getter, receiver}, timeout=remaining, return_when=asyncio.FIRST_COMPLETED
                )
                if receiver in done:
                    getter.cancel()
                    return
                if getter not in done:
                    getter.cancel()
                    continue
                message = getter.result()
                if message is None:  # too slow; the client resumes from its last event
                    await websocket.close(1013, "too slow; reconnect with after=<event id>")
                    return
                if revoked.is_revoked(session_id):
                    await websocket.close(UNAUTHORIZED, "the session has ended")
                    return
                await websocket.send_text(message)
        finally:
            receiver.cancel()
    except WebSocketDisconnect:
        pass
    finally:
        hub.unsubscribe(principal.workspace_id, listener)


async def _drain(websocket: WebSocket) -> None:
    """Read (and ignore) what the client sends, to notice when it goes away."""
    with contextlib.suppress(WebSocketDisconnect):
        while True:
            message = await websocket.receive()
            if message["type"] == "websocket.disconnect":
                return
