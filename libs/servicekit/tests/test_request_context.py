"""Every request gets a request id, a correlation id, a server span and a timing by route."""

from pathlib import Path

import pytest
from fastapi import APIRouter, Response
from fastapi.testclient import TestClient
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from prometheus_client import REGISTRY
from sqlalchemy import MetaData

from kasa_servicekit.context import correlation_id_var
from kasa_servicekit.problems import not_found
from kasa_servicekit.service import ServiceSpec, create_app
from kasa_servicekit.settings import ServiceSettings
from kasa_servicekit.tracing import current_trace_id

router = APIRouter()


@router.get("/things/{thing_id}")
async def thing(thing_id: str) -> dict[str, str | None]:
    return {"correlation_id": correlation_id_var.get(), "trace_id": current_trace_id()}


@router.get("/missing")
async def missing() -> None:
    raise not_found("thing")


@router.get("/own-request-id")
async def own_request_id() -> Response:
    return Response(b"{}", headers={"X-Request-ID": "from-the-handler"})


@pytest.fixture
def client(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> TestClient:
    monkeypatch.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path}/kit.db")
    spec = ServiceSpec(
        name="kit-test",
        version="0",
        settings=ServiceSettings(),
        metadata=MetaData(),
        migrations=tmp_path,
        routers=[router],
    )
    # No lifespan: the routes under test need neither the broker nor the database.
    return TestClient(create_app(spec))


def seconds_count(route: str, status: str) -> float:
    labels = {"method": "GET", "route": route, "status": status}
    return REGISTRY.get_sample_value("kasa_http_request_seconds_count", labels) or 0.0


def test_the_callers_request_id_comes_back_and_correlates_the_work(client):
    response = client.get("/things/1", headers={"X-Request-ID": "req-7"})
    assert response.headers["x-request-id"] == "req-7"
    assert response.json()["correlation_id"] == "req-7"


def test_a_correlation_id_wins_over_the_request_id(client):
    response = client.get(
        "/things/1", headers={"X-Request-ID": "req-8", "X-Correlation-ID": "sync-run-3"}
    )
    assert response.headers["x-request-id"] == "req-8"
    assert response.json()["correlation_id"] == "sync-run-3"


def test_a_request_id_is_made_when_none_comes(client):
    first = client.get("/things/1")
    second = client.get("/things/1")
    made = first.headers["x-request-id"]
    assert made and made != second.headers["x-request-id"]
    assert first.json()["correlation_id"] == made


def test_the_correlation_id_does_not_outlive_the_request(client):
    client.get("/things/1", headers={"X-Request-ID": "req-9"})
    assert correlation_id_var.get() is None


def test_error_answers_carry_the_request_id_too(client):
    response = client.get("/missing", headers={"X-Request-ID": "req-10"})
    assert response.status_code == 404
    assert response.headers["x-request-id"] == "req-10"


def test_the_request_id_replaces_one_the_handler_set(client):
    response = client.get("/own-request-id", headers={"X-Request-ID": "req-11"})
    assert response.headers.get_list("x-request-id") == ["req-11"]


def test_the_callers_trace_continues_in_a_server_span(client):
    finished = InMemorySpanExporter()
    provider = trace.get_tracer_provider()
    assert isinstance(provider, TracerProvider), "the service set up tracing"
    provider.add_span_processor(SimpleSpanProcessor(finished))
    trace_id = "4bf92f3577b34da6a3ce929d0e0e4736"
    try:
        response = client.get(
            "/things/1", headers={"traceparent": f"00-{trace_id}-00f067aa0ba902b7-01"}
        )
    finally:
        finished.shutdown()  # the provider is global: collect nothing after this test
    assert response.json()["trace_id"] == trace_id
    spans = finished.get_finished_spans()
    # Named by its route template: a path may carry a secret (a portal token).
    assert not [s for s in spans if "/things/1" in s.name]
    [server] = [s for s in spans if s.name == "GET /things/{thing_id}"]
    assert server.attributes and server.attributes["http.route"] == "/things/{thing_id}"
    assert server.kind == trace.SpanKind.SERVER
    assert format(server.context.trace_id, "032x") == trace_id
    assert server.parent is not None and format(server.parent.span_id, "016x") == (
        "00f067aa0ba902b7"
    )


def test_requests_are_timed_by_route_template_and_status(client):
    before_ok = seconds_count("/things/{thing_id}", "200")
    before_missing = seconds_count("/missing", "404")
    client.get("/things/1")
    client.get("/things/2")
    client.get("/missing")
    assert seconds_count("/things/{thing_id}", "200") == before_ok + 2
    assert seconds_count("/missing", "404") == before_missing + 1
