"""The proxy against real upstream servers: streaming, propagation, down and slow upstreams."""

import asyncio
import socket
import threading
import time

import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, StreamingResponse
from starlette.routing import Route


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


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


async def health(request: Request) -> JSONResponse:
    return JSONResponse({"status": "ready"})


UPSTREAM = Starlette(
    routes=[
        Route("/health/ready", health),
        Route("/api/v1/transactions/download", download),
        Route("/api/v1/transactions/slow", slow),
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


def test_readiness_reports_each_upstream(client):
    response = client.get("/health/ready")
    body = response.json()
    assert body["upstreams"]["ledger"] == "ok"
    assert body["upstreams"]["integrations"].startswith("unreachable")
    assert set(body["upstreams"]) == {"integrations", "ledger", "invoicing", "audit"}
    assert body["checks"]["database"] == "ok"
