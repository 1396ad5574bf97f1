"""Services verify the gateway's tokens: remembered while valid, never past their expiry."""

import asyncio
import time
import uuid
from types import SimpleNamespace

import jwt
import pytest

from kasa_servicekit.problems import ProblemError
from kasa_servicekit.testing import TokenIssuer


@pytest.fixture
def issuer():
    return TokenIssuer()


@pytest.fixture
def verifier(issuer):
    app = SimpleNamespace(state=SimpleNamespace())
    issuer.install(app)
    return app.state.verifier


def signed(issuer: TokenIssuer, **claims) -> str:
    now = int(time.time())
    base = {
        "iss": issuer.issuer,
        "aud": issuer.audience,
        "sub": str(uuid.uuid4()),
        "wid": str(uuid.uuid4()),
        "role": "member",
        "jti": uuid.uuid4().hex,
        "sid": str(uuid.uuid4()),
        "iat": now,
        "exp": now + 900,
    }
    return jwt.encode(base | claims, issuer._key, algorithm="EdDSA", headers={"kid": issuer.kid})


async def test_a_token_verifies_to_the_same_caller_every_time(issuer, verifier):
    workspace = uuid.uuid4()
    token = issuer.token(workspace, role="viewer")
    first = await verifier.verify(token)
    again = await verifier.verify(token)
    assert first == again
    assert (again.workspace_id, again.role) == (workspace, "viewer")


async def test_a_remembered_token_is_refused_once_it_expires(issuer, verifier):
    token = signed(issuer, exp=int(time.time()) + 2)
    await verifier.verify(token)
    await asyncio.sleep(
        max(0.0, jwt.decode(token, options={"verify_signature": False})["exp"] - time.time()) + 0.2
    )
    with pytest.raises(ProblemError) as refused:
        await verifier.verify(token)
    assert refused.value.status == 401


async def test_a_token_with_a_changed_claim_is_not_taken_for_a_remembered_one(issuer, verifier):
    token = signed(issuer, role="viewer")
    await verifier.verify(token)
    header, payload, signature = token.split(".")
    forged_payload = jwt.utils.base64url_encode(
        jwt.utils.base64url_decode(payload).replace(b'"viewer"', b'"owner"')
    ).decode()
    with pytest.raises(ProblemError) as refused:
        await verifier.verify(f"{header}.{forged_payload}.{signature}")
    assert refused.value.status == 401
