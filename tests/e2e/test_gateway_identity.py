"""Identity through the running system: sessions, roles enforced by other services, audit."""

import httpx
import pytest

from kasa_localstack.testing import KasaClient, eventually

pytestmark = [pytest.mark.e2e, pytest.mark.asyncio(loop_scope="session")]


async def test_refresh_rotation_and_logout_through_the_gateway(system):
    user = await system.user()
    email = f"refresh-{user.user['user_id']}@example.com"
    client = KasaClient(system.gateway)
    await client.register_and_login(email)
    tokens = (
        await client.http.post(
            "/api/v1/auth/token", json={"email": email, "password": "correct horse battery"}
        )
    ).json()
    rotated = await client.http.post(
        "/api/v1/auth/refresh", json={"refresh_token": tokens["refresh_token"]}
    )
    assert rotated.status_code == 200
    client.token = rotated.json()["access_token"]
    assert (await client.get("/api/v1/transactions")).status_code == 200, "services accept it"
    reused = await client.http.post(
        "/api/v1/auth/refresh", json={"refresh_token": tokens["refresh_token"]}
    )
    assert reused.status_code == 401
    again = await client.http.post(
        "/api/v1/auth/refresh", json={"refresh_token": rotated.json()["refresh_token"]}
    )
    assert again.status_code == 401, "reuse revoked the family"


async def test_a_viewer_reads_but_cannot_write_in_any_service(system):
    owner = await system.user()
    viewer = await system.user()
    me = (await viewer.get("/api/v1/me")).json()
    invitation = await owner.post(
        "/api/v1/invitations", json={"email": me["email"], "role": "viewer"}
    )
    assert invitation.status_code == 201, invitation.text
    accepted = await viewer.post(
        "/api/v1/invitations/accept", json={"token": invitation.json()["token"]}
    )
    assert accepted.status_code == 200
    switched = await viewer.post(
        "/api/v1/auth/switch", json={"workspace_id": owner.user["workspace_id"]}
    )
    viewer.token = switched.json()["access_token"]

    assert (await viewer.get("/api/v1/transactions")).status_code == 200
    refused = await viewer.post("/api/v1/plugins/demo/syncs", json={"count": 1})
    assert refused.status_code == 403
    assert refused.headers["content-type"] == "application/problem+json"


async def test_sign_ins_and_lockouts_reach_the_audit_trail(system):
    user = await system.user()
    email = (await user.get("/api/v1/me")).json()["email"]
    for _ in range(5):
        wrong = await user.http.post(
            "/api/v1/auth/token", json={"email": email, "password": "not my password"}
        )
    assert wrong.status_code == 401
    locked = await user.http.post(
        "/api/v1/auth/token", json={"email": email, "password": "correct horse battery"}
    )
    assert locked.status_code == 429 and int(locked.headers["retry-after"]) > 0

    async def trail() -> set[str]:
        entries = await user.all_items("/api/v1/audit-events")
        return {e["event_type"] for e in entries}

    seen = await eventually(
        trail,
        lambda kinds: "identity.user.locked_out" in kinds,
        what="the lockout in the audit trail",
    )
    assert {"identity.user.registered", "identity.user.logged_in"} <= seen


async def test_readiness_reports_a_stopped_upstream_and_its_routes_answer_503(system):
    user = await system.user()
    audit = system.stack.services["audit"]
    audit.stop()
    try:
        async with httpx.AsyncClient(base_url=system.gateway, timeout=10) as http:
            ready = (await http.get("/health/ready")).json()
        assert ready["upstreams"]["audit"].startswith("unreachable")
        assert ready["upstreams"]["ledger"] == "ok"
        down = await user.get("/api/v1/audit-events")
        assert down.status_code == 503
        assert down.headers["content-type"] == "application/problem+json"
        assert (await user.get("/api/v1/transactions")).status_code == 200, "others still work"
    finally:
        audit.start()
        await audit.wait_ready()
