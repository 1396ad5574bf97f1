"""Registration, login and token verification through the gateway's real app on SQLite."""

import jwt
import pytest
from fastapi.testclient import TestClient

from kasa_gateway.main import build
from kasa_servicekit.migrations import upgrade
from kasa_servicekit.service import create_app


@pytest.fixture
def client(tmp_path, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path}/gateway.db")
    monkeypatch.setenv("JWT_SIGNING_KEY_FILE", str(tmp_path / "key.pem"))
    monkeypatch.setenv("AMQP_URL", "amqp://guest:guest@127.0.0.1:1/")  # broker not needed here
    spec = build()
    upgrade(spec.migrations, spec.settings.database_url)
    with TestClient(create_app(spec)) as test_client:
        yield test_client


def register(client, email="Eva@Example.com", password="a long enough secret"):
    return client.post(
        "/api/v1/auth/register",
        json={
            "email": email,
            "password": password,
            "name": "Eva",
            "workspace_name": "Eva s.r.o.",
        },
    )


def test_register_login_and_me(client):
    assert register(client).status_code == 201
    assert register(client, email="eva@example.com").status_code == 409, "emails ignore case"
    token = client.post(
        "/api/v1/auth/token", json={"email": "EVA@example.com", "password": "a long enough secret"}
    )
    assert token.status_code == 200
    body = token.json()
    assert body["token_type"] == "bearer" and body["expires_in"] == 15 * 60
    claims = jwt.decode(body["access_token"], options={"verify_signature": False})
    assert {"sub", "wid", "role", "jti", "exp"} <= claims.keys() and claims["role"] == "owner"
    assert jwt.get_unverified_header(body["access_token"])["alg"] == "EdDSA"

    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {body['access_token']}"})
    assert me.status_code == 200
    assert me.json()["email"] == "eva@example.com"
    assert me.json()["workspace"]["name"] == "Eva s.r.o."


def test_the_jwks_verifies_issued_tokens(client):
    register(client)
    access = client.post(
        "/api/v1/auth/token", json={"email": "eva@example.com", "password": "a long enough secret"}
    ).json()["access_token"]
    [key] = client.get("/.well-known/jwks.json").json()["keys"]
    assert "d" not in key, "only the public half is published"
    claims = jwt.decode(access, jwt.PyJWK(key), algorithms=["EdDSA"], audience="kasa")
    assert claims["iss"] == "kasa-gateway"


def test_unknown_email_and_wrong_password_get_the_same_answer(client):
    register(client)
    wrong = client.post("/api/v1/auth/token", json={"email": "eva@example.com", "password": "nope"})
    unknown = client.post("/api/v1/auth/token", json={"email": "x@example.com", "password": "nope"})
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json()["detail"] == unknown.json()["detail"]


def test_weak_registration_is_refused_with_a_problem(client):
    response = register(client, password="short")
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    same_as_email = register(
        client, email="evapassword@example.com", password="evapassword@example.com"
    )
    assert same_as_email.status_code == 422


def test_unknown_api_resources_are_404_problems(client):
    response = client.get("/api/v1/nothing-here")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
