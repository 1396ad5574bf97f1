"""Password reset through the gateway, with the mail delivered to a real SMTP server."""

import re
from urllib.parse import parse_qs, urlsplit

import asyncpg
import pytest

from kasa_localstack.testing import KasaClient, eventually

pytestmark = [pytest.mark.e2e, pytest.mark.asyncio(loop_scope="session")]

OLD_PASSWORD = "correct horse battery"
NEW_PASSWORD = "a brand new passphrase"
LINK = re.compile(r"(https?://\S+/reset-password\?token=[\w-]+)")


def plain(url: str) -> str:
    return url.replace("postgresql+asyncpg://", "postgresql://")


async def reset_link(system, email: str, count: int = 1) -> str:
    [*_, message] = await system.mail.wait_for(count, address=email, kind="password_reset")
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    [link] = set(LINK.findall(text))
    assert link in html, "the HTML part carries the same link"
    return link


async def test_a_reset_link_sets_a_new_password_once_and_signs_out_everywhere(system):
    user = await system.user()
    email = user.user["email"]
    asked = await user.http.post("/api/v1/auth/password-reset", json={"email": email})
    assert asked.status_code == 202
    link = await reset_link(system, email)
    assert link.startswith(system.gateway + "/reset-password?token=")
    [message] = system.mail.to(email, "password_reset")
    assert message["Subject"] == "Reset your Kasa password"
    assert "<img" not in message.get_body(("html",)).get_content()
    token = parse_qs(urlsplit(link).query)["token"][0]

    weak = await user.http.post(
        "/api/v1/auth/password-reset/confirm", json={"token": token, "password": "x" * 3}
    )
    assert weak.status_code == 422
    done = await user.http.post(
        "/api/v1/auth/password-reset/confirm", json={"token": token, "password": NEW_PASSWORD}
    )
    assert done.status_code == 204, done.text

    async def me_status() -> int:
        return (await user.get("/api/v1/me")).status_code

    await eventually(me_status, lambda status: status == 401, timeout=15, what="old token refused")
    old = await user.http.post(
        "/api/v1/auth/token", json={"email": email, "password": OLD_PASSWORD}
    )
    assert old.status_code == 401
    new = await user.http.post(
        "/api/v1/auth/token", json={"email": email, "password": NEW_PASSWORD}
    )
    assert new.status_code == 200
    again = await user.http.post(
        "/api/v1/auth/password-reset/confirm", json={"token": token, "password": OLD_PASSWORD}
    )
    assert again.status_code == 400
    assert again.headers["content-type"].startswith("application/problem+json")

    user.token = new.json()["access_token"]

    async def audited() -> set[str]:
        trail = await user.get(
            "/api/v1/audit-events",
            params={"entity_type": "user", "entity_id": user.user["user_id"]},
        )
        return {item["event_type"] for item in trail.json()["items"]}

    wanted = {"identity.user.password_reset_requested", "identity.user.password_reset"}
    await eventually(audited, lambda types: wanted <= types, timeout=30, what="audited")


async def test_an_expired_link_is_refused(system):
    user = await system.user()
    email = user.user["email"]
    assert (
        await user.http.post("/api/v1/auth/password-reset", json={"email": email})
    ).status_code == 202
    token = parse_qs(urlsplit(await reset_link(system, email)).query)["token"][0]
    connection = await asyncpg.connect(plain(system.database_urls["gateway"]))
    try:
        await connection.execute(
            "UPDATE password_resets SET expires_at = now() - interval '1 minute' "
            "WHERE user_id = $1",
            user.user["user_id"],
        )
    finally:
        await connection.close()
    expired = await user.http.post(
        "/api/v1/auth/password-reset/confirm", json={"token": token, "password": NEW_PASSWORD}
    )
    assert expired.status_code == 400
    still = await user.http.post(
        "/api/v1/auth/token", json={"email": email, "password": OLD_PASSWORD}
    )
    assert still.status_code == 200, "the password stayed as it was"


async def test_an_unknown_address_gets_the_same_answer_and_no_mail(system):
    known = await system.user()
    client = KasaClient(system.gateway)
    unknown = f"nobody-{known.user['user_id']}@example.com"
    for_unknown = await client.http.post("/api/v1/auth/password-reset", json={"email": unknown})
    for_known = await client.http.post(
        "/api/v1/auth/password-reset", json={"email": known.user["email"]}
    )
    assert for_unknown.status_code == for_known.status_code == 202
    assert for_unknown.json() == for_known.json()
    await reset_link(system, known.user["email"])
    assert system.mail.to(unknown) == []


async def test_an_account_gets_at_most_three_reset_mails_an_hour(system):
    user = await system.user()
    email = user.user["email"]
    for _ in range(5):
        answer = await user.http.post("/api/v1/auth/password-reset", json={"email": email})
        assert answer.status_code == 202
    await system.mail.wait_for(3, address=email, kind="password_reset")
    await system.mail.wait_for(4, address=email, timeout_s=2, kind="password_reset")
    assert len(system.mail.to(email, "password_reset")) == 3
