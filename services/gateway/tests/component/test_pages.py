"""Pages reach the web application with the person's identity; forged changes do not."""

import threading
import time

import jwt
import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route
from starlette.websockets import WebSocketDisconnect

from kasa_localstack.testing import free_port

from .conftest import PASSWORD, register


async def page_echo(request: Request) -> JSONResponse:
    form = await request.form() if request.method == "POST" else {}
    uploaded = form.get("statement") if form else None
    return JSONResponse(
        {
            "path": request.url.path,
            "authorization": request.headers.get("authorization"),
            "fields": sorted(form.keys()) if form else [],
            "upload_bytes": len(await uploaded.read()) if uploaded is not None else 0,
        }
    )


WEB = Starlette(routes=[Route("/{rest:path}", page_echo, methods=["GET", "POST"])])


@pytest.fixture(scope="module")
def web_upstream():
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(WEB, host="127.0.0.1", port=port, log_level="error"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(5)


@pytest.fixture
def signed_in(make_client, web_upstream):

    client = make_client(WEB_URL=web_upstream, SESSION_COOKIE_SECURE="false")
    register(client)
    answer = client.post(
        "/api/v1/auth/session", json={"email": "eva@example.com", "password": PASSWORD}
    )
    assert answer.status_code == 200, answer.text
    return client, answer.json()["csrf_token"]


def test_a_page_reaches_the_web_with_a_token_for_the_signed_in_person(signed_in):
    client, _csrf = signed_in
    seen = client.get("/invoices?status=paid").json()
    assert seen["path"] == "/invoices"
    token = seen["authorization"].removeprefix("Bearer ")
    claims = jwt.decode(token, options={"verify_signature": False})
    assert claims["name"] == "Eva" and claims["role"] == "owner"
    client.cookies.clear()
    assert client.get("/invoices").json()["authorization"] is None, "no cookie, no identity"


def test_the_api_and_the_probes_are_not_pages(signed_in):
    client, _csrf = signed_in
    assert (
        client.get("/api/v1/nothing-here")
        .headers["content-type"]
        .startswith("application/problem+json")
    )
    assert client.get("/health/live").json()["status"] in ("ok", "alive", "live")


def test_a_page_form_post_needs_the_session_csrf_token(signed_in):
    client, csrf = signed_in
    forged = client.post("/invoices/new", data={"client_id": "x"})
    assert forged.status_code == 403
    wrong = client.post("/invoices/new", data={"client_id": "x", "csrf_token": "0" * 64})
    assert wrong.status_code == 403
    ok = client.post("/invoices/new", data={"csrf_token": csrf, "client_id": "x"})
    assert ok.status_code == 200 and ok.json()["fields"] == ["client_id", "csrf_token"]
    header = client.post("/invoices/new", data={"a": "1"}, headers={"X-CSRF-Token": csrf})
    assert header.status_code == 200


def test_an_upload_carries_its_csrf_token_as_the_first_field_and_streams_on_whole(signed_in):
    client, csrf = signed_in
    statement = b"<Document>" + b"x" * 200_000 + b"</Document>"
    upload = client.post(
        "/bank/camt053/upload",
        data={"csrf_token": csrf},
        files={"statement": ("s.xml", statement, "application/xml")},
    )
    assert upload.status_code == 200, upload.text
    assert upload.json()["upload_bytes"] == len(statement)
    forged = client.post(
        "/bank/camt053/upload", files={"statement": ("s.xml", statement, "application/xml")}
    )
    assert forged.status_code == 403


def test_the_websocket_accepts_the_session_cookie_from_our_own_pages_only(signed_in):
    client, _csrf = signed_in
    host = {"host": "testserver"}
    with client.websocket_connect(
        "/api/v1/ws", headers={**host, "origin": "http://testserver"}
    ) as socket:
        assert socket.receive_json()["type"] == "ready"
    with (
        pytest.raises(WebSocketDisconnect) as refused,
        client.websocket_connect(
            "/api/v1/ws", headers={**host, "origin": "https://evil.example"}
        ) as socket,
    ):
        socket.receive_json()
    assert refused.value.code == 4401


def test_pages_answer_a_person_when_the_web_is_down(make_client):
    client = make_client(WEB_URL=f"http://127.0.0.1:{free_port()}")
    answer = client.get("/", headers={"accept": "text/html"})
    assert answer.status_code == 503
    assert answer.headers["content-type"].startswith("text/html")
    assert "Try again" in answer.text


def test_a_session_revoked_elsewhere_stops_within_two_seconds(signed_in):
    client, _csrf = signed_in
    assert client.get("/invoices").json()["authorization"], "signed in"
    tokens = client.post(
        "/api/v1/auth/token", json={"email": "eva@example.com", "password": PASSWORD}
    ).json()
    changed = client.post(
        "/api/v1/me/password",
        headers={"Authorization": f"Bearer {tokens['access_token']}"},
        json={"current_password": PASSWORD, "new_password": "another long secret"},
    )
    assert changed.status_code == 204, changed.text
    time.sleep(2.1)
    assert client.get("/invoices").json()["authorization"] is None, "the browser is signed out"


def test_signing_out_ends_the_session_at_once(signed_in):
    client, _csrf = signed_in
    cookie = client.cookies.get("kasa_session")
    # The web signs out with the token the gateway gave its page request, not the cookie.
    page_token = client.get("/sign-out").json()["authorization"]
    client.cookies.clear()
    signed_out = client.delete("/api/v1/auth/session", headers={"Authorization": page_token})
    assert signed_out.status_code == 204
    client.cookies.set("kasa_session", cookie)  # a copy kept by someone else
    assert client.get("/invoices").json()["authorization"] is None
