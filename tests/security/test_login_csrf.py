"""Login CSRF: a sign-in posted from another site is refused, and no cookie is set.

Otherwise a hostile page could sign the victim's browser into the attacker's account and
collect what the victim then enters. Over https the session and CSRF cookies carry the
``__Host-`` prefix, so a neighbouring subdomain or a plain-http page cannot plant them.
"""

import pytest
from fastapi.testclient import TestClient

from kasa_gateway.main import build
from kasa_servicekit.migrations import upgrade
from kasa_servicekit.service import create_app

PASSWORD = "a long enough secret"
HOSTILE = [
    {"Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site"},
    {"Origin": "https://evil.example"},
    {"Origin": "null"},
    {"Sec-Fetch-Site": "cross-site"},
]


@pytest.fixture
def gateway(tmp_path, monkeypatch):
    clients = []

    def make(**env: str) -> TestClient:
        monkeypatch.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path}/gateway.db")
        monkeypatch.setenv("JWT_SIGNING_KEY_FILE", str(tmp_path / "key.pem"))
        monkeypatch.setenv("AMQP_URL", "amqp://guest:guest@127.0.0.1:1/")
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        spec = build()
        upgrade(spec.migrations, spec.settings.database_url)
        client = TestClient(create_app(spec), base_url="https://kasa.example")
        client.__enter__()
        clients.append(client)
        response = client.post(
            "/api/v1/auth/register",
            json={
                "email": "eva@example.com",
                "password": PASSWORD,
                "name": "Eva",
                "workspace_name": "Eva s.r.o.",
            },
        )
        assert response.status_code == 201, response.text
        return client

    yield make
    for client in clients:
        client.__exit__(None, None, None)


CREDENTIALS = {"email": "eva@example.com", "password": PASSWORD}


@pytest.mark.parametrize("headers", HOSTILE)
@pytest.mark.parametrize("path", ["/api/v1/auth/session", "/api/v1/auth/token", "/sign-in"])
def test_a_cross_site_sign_in_is_refused_without_a_cookie(gateway, path, headers):
    client = gateway(PUBLIC_URL="https://kasa.example")
    refused = client.post(path, data=CREDENTIALS, headers=headers)
    assert refused.status_code == 403
    assert refused.headers["content-type"] == "application/problem+json"
    assert "set-cookie" not in refused.headers
    assert not client.cookies


def test_our_own_pages_and_programs_still_sign_in(gateway):
    client = gateway(PUBLIC_URL="https://kasa.example")
    own = {"Origin": "https://kasa.example", "Sec-Fetch-Site": "same-origin"}
    assert client.post("/api/v1/auth/session", data=CREDENTIALS, headers=own).status_code == 200
    # A program sends neither header.
    assert client.post("/api/v1/auth/token", json=CREDENTIALS).status_code == 200


def test_over_https_the_cookies_are_host_prefixed_and_work(gateway):
    client = gateway(PUBLIC_URL="https://kasa.example", SESSION_COOKIE_SECURE="false")
    answer = client.post("/api/v1/auth/session", json=CREDENTIALS)
    assert answer.status_code == 200
    cookies = answer.headers.get_list("set-cookie")
    session = next(c for c in cookies if c.startswith("__Host-kasa_session="))
    csrf = next(c for c in cookies if c.startswith("__Host-kasa_csrf="))
    for cookie in (session, csrf):
        attributes = cookie.lower()
        assert "; secure" in attributes and "; path=/" in attributes and "domain=" not in attributes
    assert "httponly" in session.lower() and "httponly" not in csrf.lower()
    assert client.get("/api/v1/me").status_code == 200, "the gateway reads the cookie it set"

    # A plain-named cookie (planted by a neighbour) is not a session over https.
    value = client.cookies.get("__Host-kasa_session")
    client.cookies.clear()
    client.cookies.set("kasa_session", value)
    assert client.get("/api/v1/me").status_code == 401
