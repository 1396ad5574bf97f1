"""M5: an ended session's access token is refused by every service within seconds.

Each service is called directly on its own port, not only through the gateway: a service
verifies tokens on its own, so each must have heard of the revocation itself. Every service
has verified (and remembered) the token before it is revoked, so a remembered token must be
refused too.
"""

import asyncio
import time
from typing import Any

import httpx
import pytest

from kasa_localstack.testing import KasaClient

pytestmark = [pytest.mark.e2e, pytest.mark.asyncio(loop_scope="session")]

WITHIN_SECONDS = 5.0
READS = {
    "gateway": "/api/v1/me",
    "integrations": "/api/v1/plugins",
    "ledger": "/api/v1/accounts",
    "invoicing": "/api/v1/clients",
    "audit": "/api/v1/audit-events",
}
"""One authenticated read per service, served by that service itself."""


async def statuses(system: Any, token: str) -> dict[str, int]:
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(timeout=10) as http:
        answers = await asyncio.gather(
            *(
                http.get(system.url(service) + path, headers=headers)
                for service, path in READS.items()
            )
        )
    return {service: answer.status_code for service, answer in zip(READS, answers, strict=True)}


async def accepted_everywhere(system: Any, token: str) -> None:
    got = await statuses(system, token)
    assert all(status != 401 for status in got.values()), got


async def refused_everywhere(system: Any, token: str) -> None:
    """Every service answers 401 within ``WITHIN_SECONDS`` (polled, never slept out)."""
    deadline = time.monotonic() + WITHIN_SECONDS
    while True:
        got = await statuses(system, token)
        if all(status == 401 for status in got.values()):
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"still accepted {WITHIN_SECONDS:.0f}s after revocation: {got}")
        await asyncio.sleep(0.1)


async def member_of(system: Any, owner: KasaClient, role: str = "member") -> KasaClient:
    """A new person invited into ``owner``'s workspace, acting there with their own token."""
    guest = await system.user()
    email = (await guest.get("/api/v1/me")).json()["email"]
    invited = await owner.post("/api/v1/invitations", json={"email": email, "role": role})
    assert invited.status_code == 201, invited.text
    accepted = await guest.post(
        "/api/v1/invitations/accept", json={"token": invited.json()["token"]}
    )
    assert accepted.status_code == 200, accepted.text
    switched = await guest.post(
        "/api/v1/auth/switch", json={"workspace_id": owner.user["workspace_id"]}
    )
    assert switched.status_code == 200, switched.text
    guest.token = switched.json()["access_token"]
    return guest


async def test_a_logged_out_token_is_refused_by_every_service(system):
    user = await system.user()
    token = str(user.token)
    await accepted_everywhere(system, token)
    assert (await user.post("/api/v1/auth/logout")).status_code == 204
    await refused_everywhere(system, token)


async def test_a_new_password_ends_the_other_sessions_everywhere(system):
    user = await system.user()
    email = (await user.get("/api/v1/me")).json()["email"]
    other = await user.http.post(
        "/api/v1/auth/token", json={"email": email, "password": "correct horse battery"}
    )
    elsewhere = other.json()["access_token"]
    await accepted_everywhere(system, elsewhere)
    changed = await user.post(
        "/api/v1/me/password",
        json={"current_password": "correct horse battery", "new_password": "a brand new battery"},
    )
    assert changed.status_code == 204, changed.text
    await refused_everywhere(system, elsewhere)
    await accepted_everywhere(system, str(user.token))


async def test_a_role_change_takes_effect_everywhere(system):
    owner = await system.user()
    member = await member_of(system, owner)
    await accepted_everywhere(system, str(member.token))
    changed = await owner.request(
        "PATCH", f"/api/v1/members/{member.user['user_id']}", json={"role": "viewer"}
    )
    assert changed.status_code == 200, changed.text
    await refused_everywhere(system, str(member.token))
    await accepted_everywhere(system, str(owner.token))


async def test_a_removed_member_is_refused_everywhere(system):
    owner = await system.user()
    member = await member_of(system, owner)
    await accepted_everywhere(system, str(member.token))
    removed = await owner.request("DELETE", f"/api/v1/members/{member.user['user_id']}")
    assert removed.status_code == 204, removed.text
    await refused_everywhere(system, str(member.token))
