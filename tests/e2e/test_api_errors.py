"""Bad requests get RFC 9457 problems; missing or forged tokens get 401."""

import time
import uuid

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

pytestmark = [pytest.mark.e2e, pytest.mark.asyncio(loop_scope="session")]


async def test_invalid_json_and_fields_are_422_problems(system):
    user = await system.user()
    response = await user.http.post(
        "/api/v1/auth/register", content=b"{nope", headers={"content-type": "application/json"}
    )
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["status"] == 422

    response = await user.http.post(
        "/api/v1/auth/register",
        json={"email": "not-an-email", "password": "short", "name": "", "workspace_name": "w"},
    )
    assert response.status_code == 422
    problem = response.json()
    assert problem["title"] == "Unprocessable Content"
    assert {tuple(e["loc"])[-1] for e in problem["errors"]} >= {"email", "password", "name"}

    response = await user.post("/api/v1/plugins/demo/syncs", json={"count": -5})
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    response = await user.get("/api/v1/transactions", params={"limit": "many"})
    assert response.status_code == 422


async def test_missing_or_forged_tokens_are_401(system):
    user = await system.user()
    anonymous = await user.http.get("/api/v1/transactions")
    assert anonymous.status_code == 401
    assert anonymous.headers["content-type"] == "application/problem+json"

    kid = jwt.get_unverified_header(user.token)["kid"]
    claims = jwt.decode(user.token, options={"verify_signature": False})
    forged = jwt.encode(
        {**claims, "wid": str(uuid.uuid4()), "exp": int(time.time()) + 600},
        Ed25519PrivateKey.generate(),
        algorithm="EdDSA",
        headers={"kid": kid},
    )
    for path in ("/api/v1/transactions", "/api/v1/syncs", "/api/v1/audit-events", "/api/v1/me"):
        response = await user.http.get(path, headers={"Authorization": f"Bearer {forged}"})
        assert response.status_code == 401, path
        assert response.headers["content-type"] == "application/problem+json"

    unsigned = jwt.encode(claims, key=None, algorithm="none")  # type: ignore[arg-type]
    response = await user.http.get(
        "/api/v1/transactions", headers={"Authorization": f"Bearer {unsigned}"}
    )
    assert response.status_code == 401

    wrong_password = await user.http.post(
        "/api/v1/auth/token", json={"email": "nobody@example.com", "password": "x" * 12}
    )
    assert wrong_password.status_code == 401
    assert wrong_password.headers["content-type"] == "application/problem+json"
