"""M4: uploads and the demo bank cannot exhaust integrations.

A file import is refused before its file is read when a run is already active, each workspace
has an upload budget per minute, statements are parsed off the event loop, and the demo bank is
not offered in production unless the operator asks for it (and makes a bounded number of rows).
Driven through the integrations app on a migrated SQLite database, as its component tests are.
"""

import asyncio
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from itertools import count
from pathlib import Path
from typing import Any
from uuid import uuid4

import pytest
from cryptography.fernet import Fernet
from fastapi.testclient import TestClient

from kasa_integrations.main import build
from kasa_integrations.plugins import camt053
from kasa_servicekit.migrations import upgrade
from kasa_servicekit.service import create_app
from kasa_servicekit.testing import TokenIssuer

STATEMENT = (
    Path(__file__).resolve().parents[2]
    / "services/integrations/tests/unit/statements/camt053_v02.xml"
).read_bytes()
NOT_A_STATEMENT = b"<" * (5 * 1024 * 1024)  # 5 MB that no parser accepts

Start = Callable[..., tuple[TestClient, TokenIssuer]]


@pytest.fixture
def integrations(tmp_path, monkeypatch) -> Iterator[Start]:
    """``integrations(**env)`` starts the real app on its own SQLite database.

    No broker is reachable: a requested sync stays queued until the sweep claims it after
    ``SYNC_PICKUP_AFTER_SECONDS``, which is how a replica picks up an unheard request.
    """
    apps = ExitStack()
    numbers = count()

    def start(**env: str) -> tuple[TestClient, TokenIssuer]:
        settings = {
            "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/integrations-{next(numbers)}.db",
            "AMQP_URL": "amqp://guest:guest@127.0.0.1:1/",
            "CREDENTIALS_KEYS": Fernet.generate_key().decode(),
            "SYNC_LEASE_SECONDS": "2",
            "SYNC_PICKUP_AFTER_SECONDS": "0.1",
            **env,
        }
        for name, value in settings.items():
            monkeypatch.setenv(name, value)
        spec = build()
        upgrade(spec.migrations, spec.settings.database_url)
        app = create_app(spec)
        issuer = TokenIssuer()
        issuer.install(app)
        return apps.enter_context(TestClient(app)), issuer

    try:
        yield start
    finally:
        apps.close()


def upload(client: TestClient, headers: dict[str, str], content: bytes):
    return client.post(
        "/api/v1/plugins/camt053/imports",
        files={"file": ("statement.xml", content, "application/xml")},
        headers=headers,
    )


def finished(client: TestClient, headers: dict[str, str], sync_id: str) -> dict[str, Any]:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        body = client.get(f"/api/v1/syncs/{sync_id}", headers=headers).json()
        if body["status"] not in ("pending", "running"):
            return body
        time.sleep(0.05)
    raise AssertionError(f"sync {sync_id} did not finish: {body}")


def test_a_busy_workspace_is_refused_before_its_upload_is_read(integrations):
    # Nothing claims the first import: it stays queued, so the plugin is busy.
    client, issuer = integrations(SYNC_PICKUP_AFTER_SECONDS="600")
    headers = issuer.headers(uuid4())
    first = upload(client, headers, STATEMENT)
    assert first.status_code == 202, first.text

    refused = upload(client, headers, NOT_A_STATEMENT)
    # The old route parsed the file first and answered 422 "not well-formed XML".
    assert refused.status_code == 409, refused.text
    assert refused.headers["content-type"] == "application/problem+json"
    problem = refused.json()
    assert (problem["reason"], problem["sync_id"]) == ("already_running", first.json()["id"])


def test_a_workspace_sending_files_too_fast_is_told_when_to_come_back(integrations):
    client, issuer = integrations(UPLOAD_RATE_PER_MINUTE="3")
    eva, adam = issuer.headers(uuid4()), issuer.headers(uuid4())
    for _ in range(3):
        # Refused files count too: their parse is the cost the budget bounds.
        assert upload(client, eva, b"not a statement").status_code == 422

    refused = upload(client, eva, STATEMENT)
    assert refused.status_code == 429, refused.text
    assert refused.headers["content-type"] == "application/problem+json"
    assert 1 <= int(refused.headers["retry-after"]) <= 60
    assert refused.json()["reason"] == "rate_limited"
    assert client.get("/api/v1/syncs", headers=eva).json()["items"] == [], "nothing was queued"

    # Another workspace has a budget of its own.
    assert upload(client, adam, STATEMENT).status_code == 202


def test_a_statement_is_parsed_off_the_event_loop(integrations, monkeypatch):
    parses: list[bool] = []
    parse = camt053.statement_transactions

    def recording(content: bytes) -> Any:
        try:
            asyncio.get_running_loop()
            parses.append(True)
        except RuntimeError:
            parses.append(False)
        return parse(content)

    monkeypatch.setattr(camt053, "statement_transactions", recording)
    client, issuer = integrations()
    headers = issuer.headers(uuid4())
    started = upload(client, headers, STATEMENT)
    assert started.status_code == 202, started.text
    done = finished(client, headers, started.json()["id"])
    assert (done["status"], done["records_created"]) == ("completed", 2)
    # The route's check and the worker's run each parse once, neither on the event loop.
    assert parses == [False, False]


def test_production_offers_no_demo_bank_unless_the_operator_asks(integrations):
    production = {
        "KASA_ENV": "production",
        "AMQP_URL": "amqp://integrations:not-the-default@127.0.0.1:1/",
        "OPS_TOKEN": Fernet.generate_key().decode(),
    }
    client, issuer = integrations(**production)
    headers = issuer.headers(uuid4())
    names = {p["name"] for p in client.get("/api/v1/plugins", headers=headers).json()["items"]}
    assert "demo" not in names and {"fio", "camt053"} <= names
    refused = client.post("/api/v1/plugins/demo/syncs", json={"count": 1}, headers=headers)
    assert refused.status_code == 404

    client, issuer = integrations(**production, DEMO_PLUGIN_ENABLED="true")
    listing = client.get("/api/v1/plugins", headers=issuer.headers(uuid4())).json()["items"]
    assert "demo" in {p["name"] for p in listing}


def test_a_demo_sync_makes_no_more_rows_than_its_cap(integrations):
    client, issuer = integrations(DEMO_PLUGIN_MAX_COUNT="7")
    headers = issuer.headers(uuid4())
    started = client.post("/api/v1/plugins/demo/syncs", json={"count": 1_000_000}, headers=headers)
    assert started.status_code == 202, started.text
    done = finished(client, headers, started.json()["id"])
    assert (done["status"], done["records_created"]) == ("completed", 7)
    assert done["metadata"]["count_capped"] == {"requested": 1_000_000, "made": 7}
