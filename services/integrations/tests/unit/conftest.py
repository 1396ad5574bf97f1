"""The integrations app on a migrated SQLite database, gateway-style tokens, and a fake Fio."""

import base64
import json
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from uuid import UUID, uuid4

import jwt
import pytest
from cryptography.fernet import Fernet
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi.testclient import TestClient

from kasa_integrations.main import build
from kasa_servicekit.auth import JwksVerifier
from kasa_servicekit.migrations import upgrade
from kasa_servicekit.service import create_app

ISSUER, AUDIENCE = "kasa-gateway", "kasa"
CANARY_TOKEN = "CANARY" + "q7Zx" * 14 + "Ab"  # 64 characters, unique enough to grep for
assert len(CANARY_TOKEN) == 64


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


@pytest.fixture(scope="session")
def signing_key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


@pytest.fixture
def token(signing_key) -> Callable[..., dict[str, str]]:
    """``auth(workspace_id, role="owner")`` → Authorization headers for that workspace."""

    def make(workspace_id: UUID, role: str = "owner") -> dict[str, str]:
        claims = {
            "sub": str(uuid4()),
            "wid": str(workspace_id),
            "role": role,
            "jti": str(uuid4()),
            "iss": ISSUER,
            "aud": AUDIENCE,
            "exp": int(time.time()) + 600,
        }
        signed = jwt.encode(claims, signing_key, algorithm="EdDSA", headers={"kid": "test"})
        return {"Authorization": f"Bearer {signed}"}

    return make


# --- a local server speaking Fio's JSON format -------------------------------------------


def fio_record(movement_id: int, booked: str, amount: str, **columns: Any) -> dict[str, Any]:
    """One Fio movement; ``columns`` as ``column5="1234"``. Amount is written as a JSON number."""
    record: dict[str, Any] = {
        "column22": {"value": movement_id, "name": "ID pohybu", "id": 22},
        "column0": {"value": f"{booked}+0100", "name": "Datum", "id": 0},
        "column1": {"value": f"__NUM__{amount}", "name": "Objem", "id": 1},
        "column14": {"value": "CZK", "name": "Měna", "id": 14},
    }
    for key, value in columns.items():
        record[key] = None if value is None else {"value": value, "name": key, "id": 0}
    return record


@dataclass
class FakeFio:
    """Answers ``/periods/{token}/{from}/{to}/transactions.json`` like Fio does."""

    token: str
    records: list[dict[str, Any]] = field(default_factory=list)
    responses: list[int] = field(default_factory=list)
    """Statuses to answer before the real answer (409, 422, 500…), consumed in order."""
    requests: list[str] = field(default_factory=list)
    delay_s: float = 0.0
    url: str = ""

    def body(self, start: str, end: str) -> bytes:
        chosen = [r for r in self.records if start <= r["column0"]["value"][:10] <= end]
        document = {
            "accountStatement": {
                "info": {
                    "accountId": "2000145399",
                    "bankId": "2010",
                    "currency": "CZK",
                    "iban": "CZ7920100000002000145399",
                    "bic": "FIOBCZPPXXX",
                    "dateStart": f"{start}+0100",
                    "dateEnd": f"{end}+0100",
                },
                "transactionList": {"transaction": chosen},
            }
        }
        text = json.dumps(document, ensure_ascii=False)
        # Fio writes amounts as JSON numbers; keep them exactly as given.
        return (
            text.replace('"__NUM__', "").replace('", "name": "Objem"', ', "name": "Objem"').encode()
        )


@pytest.fixture
def fake_fio() -> Iterator[FakeFio]:
    fio = FakeFio(token=CANARY_TOKEN)

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def do_GET(self) -> None:
            fio.requests.append(self.path)
            if fio.delay_s:
                time.sleep(fio.delay_s)
            parts = self.path.strip("/").split("/")
            # /v1/rest/periods/{token}/{from}/{to}/transactions.json
            if fio.responses:
                status = fio.responses.pop(0)
                self.send_response(status)
                self.end_headers()
                return
            if len(parts) < 6 or parts[-5] != "periods" or parts[-4] != fio.token:
                self.send_response(500)
                self.end_headers()
                return
            body = fio.body(parts[-3], parts[-2])
            self.send_response(200)
            self.send_header("Content-Type", "application/json;charset=UTF-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    class Server(ThreadingHTTPServer):
        def handle_error(self, request: Any, client_address: Any) -> None:
            pass  # a client that timed out and left is what some tests want

    server = Server(("127.0.0.1", 0), Handler)
    fio.url = f"http://127.0.0.1:{server.server_address[1]}/v1/rest"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield fio
    finally:
        server.shutdown()
        server.server_close()


# --- the real app ---------------------------------------------------------------------------


@pytest.fixture
def keys() -> list[str]:
    return [Fernet.generate_key().decode()]


@pytest.fixture
def database_path(tmp_path):
    return tmp_path / "integrations.db"


@pytest.fixture
def client(database_path, signing_key, keys, fake_fio, monkeypatch) -> Iterator[TestClient]:
    """The real integrations app on migrated SQLite; no broker, so events stay in the outbox."""
    monkeypatch.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{database_path}")
    monkeypatch.setenv("AMQP_URL", "amqp://guest:guest@127.0.0.1:1/")
    monkeypatch.setenv("CREDENTIALS_KEYS", ",".join(keys))
    monkeypatch.setenv("FIO_API_BASE_URL", fake_fio.url)
    spec = build()
    upgrade(spec.migrations, spec.settings.database_url)
    app = create_app(spec)
    raw = signing_key.public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw
    )
    jwk = {"kty": "OKP", "crv": "Ed25519", "x": _b64(raw), "kid": "test", "alg": "EdDSA"}
    app.state.verifier = JwksVerifier.with_keys([jwk], ISSUER, AUDIENCE)
    # Tests do not wait 30 s for Fio's rate limit.
    app.state.plugins["fio"].rate_limit_wait_s = 0.05
    with TestClient(app) as test_client:
        yield test_client


def wait_for_sync(client: TestClient, headers: dict[str, str], sync_id: str) -> dict[str, Any]:
    for _ in range(400):
        body = client.get(f"/api/v1/syncs/{sync_id}", headers=headers).json()
        if body["status"] not in ("pending", "running"):
            return body
        time.sleep(0.05)
    raise AssertionError(f"sync {sync_id} did not finish: {body}")


@pytest.fixture(name="fio_record")
def fio_record_fixture() -> Callable[..., dict[str, Any]]:
    """``fio_record(movement_id, "2026-01-31", "-12.50", column10="…")``."""
    return fio_record


@pytest.fixture
def canary() -> str:
    """A Fio-shaped token to grep for wherever a secret must not be."""
    return CANARY_TOKEN


@pytest.fixture
def finished() -> Callable[[TestClient, dict[str, str], str], dict[str, Any]]:
    """``finished(client, headers, sync_id)`` waits for the sync to end and returns it."""
    return wait_for_sync
