"""The proxy against real upstream servers: streaming, propagation, down and slow upstreams."""

import asyncio
import threading
import time

import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, StreamingResponse
from starlette.routing import Route

from kasa_gateway.api import proxy
from kasa_gateway.domain.route_table import RESOURCE_OWNERS
from kasa_gateway.main import build
from kasa_localstack.ports import free_port


async def echo(request: Request) -> JSONResponse:
    body = await request.body()
    return JSONResponse(
        {
            "headers": dict(request.headers),
            "path": request.url.path,
            "raw_path": request.scope["raw_path"].decode(),
            "query": request.url.query,
            "method": request.method,
            "body_bytes": len(body),
        },
        headers={"x-upstream": "ledger"},
    )


async def download(request: Request) -> StreamingResponse:
    async def chunks():
        for i in range(64):
            yield bytes([i % 256]) * 16384

    return StreamingResponse(chunks(), media_type="application/pdf")


async def slow(request: Request) -> JSONResponse:
    await asyncio.sleep(5)
    return JSONResponse({})


class CutShort:
    """Declares a 100-byte JSON body, sends 10 bytes and (at the end) hangs up; or stalls."""

    def __init__(self, stall: bool = False) -> None:
        self.stall = stall

    async def __call__(self, scope, receive, send) -> None:
        headers = [(b"content-type", b"application/json"), (b"content-length", b"100")]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": b'{"items":[', "more_body": True})
        if self.stall:
            await asyncio.sleep(5)
        await send({"type": "http.response.body", "body": b""})


async def health(request: Request) -> JSONResponse:
    return JSONResponse({"status": "ready"})


UPSTREAM = Starlette(
    routes=[
        Route("/health/ready", health),
        Route("/api/v1/transactions/download", download),
        Route("/api/v1/transactions/slow", slow),
        Route("/api/v1/transactions/cut-short", CutShort()),
        Route("/api/v1/transactions/stalled-body", CutShort(stall=True)),
        Route("/api/v1/{rest:path}", echo, methods=["GET", "POST", "PUT", "PATCH", "DELETE"]),
    ]
)


@pytest.fixture(scope="module")
def upstream():
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(UPSTREAM, host="127.0.0.1", port=port, log_level="error")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(5)


@pytest.fixture(params=["aiohttp", "httpx"])
def client(make_client, upstream, request):
    stopped = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    return make_client(
        LEDGER_URL=upstream,
        INTEGRATIONS_URL=stopped,
        INVOICING_URL=upstream,
        AUDIT_URL=upstream,
        UPSTREAM_TIMEOUT_SECONDS="0.5",
        UPSTREAM_CLIENT=request.param,
    )


def test_requests_reach_the_owner_with_request_id_and_trace(client):
    trace_id = "4bf92f3577b34da6a3ce929d0e0e4736"
    response = client.post(
        "/api/v1/transactions/abc?limit=5&cursor=x",
        json={"a": 1},
        headers={
            "X-Request-ID": "req-42",
            "traceparent": f"00-{trace_id}-00f067aa0ba902b7-01",
            "Authorization": "Bearer whatever",
        },
    )
    assert response.status_code == 200
    seen = response.json()
    assert seen["path"] == "/api/v1/transactions/abc" and seen["query"] == "limit=5&cursor=x"
    assert seen["method"] == "POST" and seen["body_bytes"] == len(b'{"a":1}')
    assert seen["headers"]["x-request-id"] == "req-42"
    assert seen["headers"]["traceparent"].split("-")[1] == trace_id, "same trace, onward"
    assert seen["headers"]["authorization"] == "Bearer whatever", "services verify it themselves"
    assert response.headers["x-request-id"] == "req-42"
    assert response.headers["x-upstream"] == "ledger"


def test_paths_reach_the_upstream_exactly_as_encoded(client):
    response = client.get("/api/v1/transactions/a%2Fb%C2%9D%20c?q=%F0%9F%92%B6&x=1+2")
    assert response.status_code == 200
    assert response.json()["raw_path"] == "/api/v1/transactions/a%2Fb%C2%9D%20c"
    assert response.json()["query"] == "q=%F0%9F%92%B6&x=1+2"


def test_a_request_id_is_made_when_none_comes(client):
    response = client.get("/api/v1/transactions")
    assert response.headers["x-request-id"] == response.json()["headers"]["x-request-id"] != ""


def test_bodies_stream_both_ways(client):
    download = client.get("/api/v1/transactions/download")
    assert download.status_code == 200 and len(download.content) == 64 * 16384
    assert download.headers["content-type"] == "application/pdf"

    def upload():
        for _ in range(32):
            yield b"x" * 32768

    uploaded = client.post("/api/v1/transactions/import", content=upload())
    assert uploaded.json()["body_bytes"] == 32 * 32768


def test_a_stopped_upstream_is_a_503_problem(client):
    response = client.get("/api/v1/syncs")
    assert response.status_code == 503
    assert response.headers["content-type"] == "application/problem+json"
    assert "integrations" in response.json()["detail"]


def test_a_slow_upstream_is_a_504_problem_not_a_hang(client):
    started = time.monotonic()
    response = client.get("/api/v1/transactions/slow")
    assert response.status_code == 504
    assert response.headers["content-type"] == "application/problem+json"
    assert time.monotonic() - started < 3


def test_small_answers_come_whole_with_their_length(client):
    response = client.get("/api/v1/transactions?limit=20")
    assert response.headers["content-length"] == str(len(response.content))
    assert "transfer-encoding" not in response.headers
    assert response.headers["x-upstream"] == "ledger", "the upstream's own headers pass"


def test_an_answer_cut_short_is_a_problem_not_a_truncated_200(client):
    response = client.get("/api/v1/transactions/cut-short")
    assert response.status_code == 503
    assert response.headers["content-type"] == "application/problem+json"


def test_an_answer_stalling_in_its_body_is_a_504(client):
    started = time.monotonic()
    response = client.get("/api/v1/transactions/stalled-body")
    assert response.status_code == 504
    assert response.headers["content-type"] == "application/problem+json"
    assert time.monotonic() - started < 3


def test_an_unknown_resource_is_a_404_problem_and_local_routes_still_answer(client):
    response = client.get("/api/v1/nothing-here/1")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    assert "nothing-here" in response.json()["detail"]
    assert client.get("/api/v1/me").status_code == 401, "the gateway's own route, not a 404"


def test_no_gateway_route_hides_under_a_proxied_resource(gateway_env):
    # The proxy's routes are tried first; a gateway route under an owned name would be unreachable.
    routers = [router for router in build().routers if router is not proxy.router]
    local = [route.path for router in routers for route in router.routes]
    clashing = [
        path
        for path in local
        if path.startswith("/api/v1/") and path.split("/")[3] in RESOURCE_OWNERS
    ]
    assert "/api/v1/me" in local and not clashing


def test_readiness_reports_each_upstream(client):
    response = client.get("/health/ready")
    body = response.json()
    assert body["upstreams"]["ledger"] == "ok"
    assert body["upstreams"]["integrations"].startswith("unreachable")
    assert set(body["upstreams"]) == {"integrations", "ledger", "invoicing", "audit", "web"}
    assert body["checks"]["database"] == "ok"
