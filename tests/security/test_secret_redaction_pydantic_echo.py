"""Secret redaction covers pydantic's shortened echo of a credential, not only its whole value.

Pydantic's validation errors quote an over-long input by its first and last two dozen
characters (``input_value='AbCd…WxYz'``): 47 of a 64-character token. Masking only the whole
value let those pieces into the 422 problems, the sync history, the events and the logs.
Driven through the integrations app on a migrated SQLite database, with a plugin whose
validation quotes pydantic's own text, as plugin code often does.
"""

import logging
import random
import string
import time
from collections.abc import AsyncIterator, Iterator
from uuid import uuid4

import pytest
from cryptography.fernet import Fernet
from fastapi.testclient import TestClient
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from sqlalchemy import create_engine, text

from kasa_integrations.main import build
from kasa_integrations.plugins.base import BankTransaction, Plugin, SyncContext
from kasa_servicekit.migrations import upgrade
from kasa_servicekit.service import create_app
from kasa_servicekit.testing import TokenIssuer

TOKEN = "".join(random.Random(16).choices(string.ascii_letters + string.digits, k=64))
assert len(TOKEN) == 64 and TOKEN != TOKEN.lower()


def pieces(secret: str, length: int = 12) -> list[str]:
    """Every run of ``length`` characters of the secret: none may be shown anywhere."""
    return [secret[i : i + length] for i in range(len(secret) - length + 1)]


def shows_any_of(secret: str, where: str) -> list[str]:
    return [piece for piece in pieces(secret) if piece in where]


class ProviderToken(BaseModel):
    """The provider's rule for a token: 64 letters and digits."""

    token: str = Field(pattern=r"^[A-Za-z0-9]{64}$")


class ProviderSession(BaseModel):
    """What the provider's API accepts when a run signs in: lowercase hex only."""

    token: str = Field(pattern=r"^[0-9a-f]{64}$")


class EchoingCredentials(BaseModel):
    model_config = ConfigDict(extra="forbid")

    token: str

    @field_validator("token")
    @classmethod
    def _the_providers_rule(cls, value: str) -> str:
        try:
            ProviderToken(token=value)
        except ValidationError as exc:
            # Passing pydantic's text on: it quotes the shortened value.
            raise ValueError(str(exc)) from None
        return value


class EchoingBank(Plugin):
    name = "echoing_bank"
    version = "1.0.0"
    display_name = "Echoing bank"
    description = "Validates its token with pydantic and lets pydantic's text through."
    Credentials = EchoingCredentials

    async def sync(self, ctx: SyncContext) -> AsyncIterator[BankTransaction]:
        ProviderSession(token=ctx.credentials.token)  # the provider refuses it
        for tx in ():
            yield tx


@pytest.fixture
def service(tmp_path, monkeypatch) -> Iterator[tuple[TestClient, TokenIssuer, str]]:
    database = tmp_path / "integrations.db"
    env = {
        "DATABASE_URL": f"sqlite+aiosqlite:///{database}",
        "AMQP_URL": "amqp://guest:guest@127.0.0.1:1/",
        "CREDENTIALS_KEYS": Fernet.generate_key().decode(),
        "SYNC_LEASE_SECONDS": "2",
        "SYNC_PICKUP_AFTER_SECONDS": "0.1",
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    spec = build()
    upgrade(spec.migrations, spec.settings.database_url)
    app = create_app(spec)
    app.state.plugins[EchoingBank.name] = EchoingBank()
    issuer = TokenIssuer()
    issuer.install(app)
    with TestClient(app) as client:
        yield client, issuer, str(database)


def test_a_refused_credential_is_not_echoed_in_the_problem_or_the_logs(service, caplog):
    caplog.set_level(logging.DEBUG)
    client, issuer, _ = service
    submitted = TOKEN[:-1] + "!"  # 64 characters the plugin's rule refuses
    refused = client.put(
        f"/api/v1/plugins/{EchoingBank.name}/config",
        json={"credentials": {"token": submitted}},
        headers=issuer.headers(uuid4()),
    )
    assert refused.status_code == 422, refused.text
    assert refused.headers["content-type"] == "application/problem+json"
    [error] = refused.json()["errors"]
    assert error["loc"] == ["body", "credentials", "token"]
    assert "should match pattern" in error["msg"], "the reason is still given"
    assert submitted not in refused.text and submitted[:48] not in refused.text
    assert shows_any_of(submitted, refused.text) == [], refused.text
    assert shows_any_of(submitted, caplog.text) == []


def test_a_run_failing_on_its_credential_does_not_echo_it_anywhere(service, caplog):
    caplog.set_level(logging.DEBUG)
    client, issuer, database = service
    headers = issuer.headers(uuid4())
    saved = client.put(
        f"/api/v1/plugins/{EchoingBank.name}/config",
        json={"credentials": {"token": TOKEN}},
        headers=headers,
    )
    assert saved.status_code == 200, saved.text
    started = client.post(f"/api/v1/plugins/{EchoingBank.name}/syncs", headers=headers)
    assert started.status_code == 202, started.text
    sync_id = started.json()["id"]
    deadline = time.monotonic() + 60
    while (sync := client.get(f"/api/v1/syncs/{sync_id}", headers=headers).json())[
        "status"
    ] != "failed":
        assert time.monotonic() < deadline, sync
        time.sleep(0.05)

    assert "should match pattern" in sync["error_message"], "the reason is still given"
    history = client.get("/api/v1/syncs", headers=headers).text
    engine = create_engine(f"sqlite:///{database}")
    with engine.connect() as connection:
        stored = "\n".join(
            str(row)
            for table in ("outbox", "syncs", "plugin_configs")
            for row in connection.execute(text(f"SELECT * FROM {table}"))
        )
    engine.dispose()
    assert "integrations.sync.failed" in stored
    for where in (str(sync), history, stored, caplog.text):
        assert TOKEN not in where and TOKEN[:48] not in where
        assert shows_any_of(TOKEN, where) == []
