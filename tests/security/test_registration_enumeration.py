"""Registration answers 409 for a taken email, so it tells who has an account; until Kasa sends
email that cannot be helped (docs/security), but it is bounded: registrations are limited per
client address, a refused one looks the same whether the email is taken or not, and the limit
follows the real client behind a trusted proxy (one person's probing does not use up everybody
else's budget, and a forged ``X-Forwarded-For`` buys no fresh one).
"""

import pytest
from fastapi.testclient import TestClient

from kasa_gateway.main import build
from kasa_servicekit.migrations import upgrade
from kasa_servicekit.service import create_app

PASSWORD = "a long enough secret"


@pytest.fixture
def gateway(tmp_path, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path}/gateway.db")
    monkeypatch.setenv("JWT_SIGNING_KEY_FILE", str(tmp_path / "key.pem"))
    monkeypatch.setenv("AMQP_URL", "amqp://guest:guest@127.0.0.1:1/")
    monkeypatch.setenv("REGISTER_RATE_PER_ADDRESS_PER_MINUTE", "3")
    monkeypatch.setenv("TRUSTED_PROXIES", "10.0.0.0/8")
    spec = build()
    upgrade(spec.migrations, spec.settings.database_url)
    # Every request arrives through our reverse proxy at 10.0.0.5.
    with TestClient(create_app(spec), client=("10.0.0.5", 40000)) as client:
        yield client


def register(client, email: str, client_address: str, forged: str = ""):
    chain = f"{forged}, {client_address}" if forged else client_address
    return client.post(
        "/api/v1/auth/register",
        json={"email": email, "password": PASSWORD, "name": "Eva", "workspace_name": "Eva"},
        headers={"X-Forwarded-For": chain},
    )


def test_registrations_are_limited_per_client_address(gateway):
    prober = "203.0.113.7"
    assert register(gateway, "eva@example.com", prober).status_code == 201
    assert register(gateway, "eva@example.com", prober).status_code == 409, "the known leak"
    assert register(gateway, "adam@example.com", prober).status_code == 201

    # The budget is spent: a taken email and a free one now get the same answer.
    for email in ("eva@example.com", "someone-new@example.com"):
        refused = register(gateway, email, prober)
        assert refused.status_code == 429
        assert refused.headers["content-type"] == "application/problem+json"
        assert 0 < int(refused.headers["Retry-After"]) <= 60
    forged = register(gateway, "forged@example.com", prober, forged="198.51.100.1")
    assert forged.status_code == 429, "a forged left-hand entry is not the client"

    # Somebody else behind the same proxy has a budget of their own.
    assert register(gateway, "jana@example.com", "203.0.113.8").status_code == 201
