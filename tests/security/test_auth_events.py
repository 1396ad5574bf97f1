"""Auth events say where they came from, and a failed sign-in is recorded, not only a lockout.

Every wrong password for a real account is an ``identity.user.sign_in_failed`` event with the
client's address and user agent; the audit trail shows them as the entry's source.
"""

import httpx
import pytest

from kasa_localstack.testing import eventually

pytestmark = [pytest.mark.e2e, pytest.mark.asyncio(loop_scope="session")]


async def test_a_failed_sign_in_reaches_the_audit_trail_with_its_address(system):
    user = await system.user()
    email = (await user.get("/api/v1/me")).json()["email"]
    transport = httpx.AsyncHTTPTransport(local_address="127.0.0.3")
    async with httpx.AsyncClient(base_url=system.gateway, transport=transport) as stranger:
        wrong = await stranger.post(
            "/api/v1/auth/token",
            json={"email": email, "password": "not my password"},
            headers={"User-Agent": "Stranger/1.0"},
        )
    assert wrong.status_code == 401

    async def failures() -> list[dict]:
        entries = await user.all_items("/api/v1/audit-events")
        return [e for e in entries if e["event_type"] == "identity.user.sign_in_failed"]

    [failed] = await eventually(failures, bool, what="the failed sign-in in the audit trail")
    assert failed["entity_id"] == user.user["user_id"]
    assert failed["actor"]["type"] == "system", "whoever tried is not known to be the owner"
    assert failed["source"]["address"] == "127.0.0.3"
    assert failed["source"]["user_agent"] == "Stranger/1.0"

    async def sign_ins() -> list[dict]:
        entries = await user.all_items("/api/v1/audit-events")
        return [e for e in entries if e["event_type"] == "identity.user.logged_in"]

    # Signed in at sign-up, and again once the address was verified: both from here.
    logged_in = await eventually(sign_ins, bool, what="the sign-in in the audit trail")
    assert {entry["source"]["address"] for entry in logged_in} == {"127.0.0.1"}
