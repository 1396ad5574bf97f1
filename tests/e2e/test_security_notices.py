"""Security notices by mail to the owners of a workspace (ADR 0025), through the whole system."""

import asyncio
import uuid

import pytest

from kasa_localstack.mail_sink import link_token
from kasa_localstack.testing import KasaClient

pytestmark = [pytest.mark.e2e, pytest.mark.asyncio(loop_scope="session")]

OLD_IBAN = "CZ6508000000192000145399"
NEW_IBAN = "CZ5508000000001234567899"
FIO_TOKEN = "Qx7m" * 16
PASSWORD = "correct horse battery"


async def ok(response):
    assert response.is_success, response.text
    return response.json() if response.content else None


async def co_owner_of(system, owner: KasaClient) -> KasaClient:
    """Another person who owns ``owner``'s workspace, speaking Czech."""
    other = await system.user()
    await ok(await other.http.patch("/api/v1/me", headers=other.headers, json={"locale": "cs"}))
    invitation = {"email": other.user["email"], "role": "owner"}
    invited = await ok(await owner.post("/api/v1/invitations", json=invitation))
    await ok(await other.post("/api/v1/invitations/accept", json={"token": invited["token"]}))
    return other


def text_of(message) -> str:
    return message.get_body(("plain",)).get_content()


async def test_every_owner_hears_of_a_replaced_payout_iban_and_bank_credentials(system):
    owner = await system.user()
    co_owner = await co_owner_of(system, owner)
    member = await system.user()
    invited = await ok(
        await owner.post("/api/v1/invitations", json={"email": member.user["email"]})
    )
    await ok(await member.post("/api/v1/invitations/accept", json={"token": invited["token"]}))
    profile = {"name": "Studio", "iban": OLD_IBAN}
    await ok(await owner.put("/api/v1/supplier", json=profile))  # a first IBAN: no notice
    await ok(await owner.put("/api/v1/supplier", json={**profile, "iban": NEW_IBAN}))

    kind = "security_notice.payout_iban"
    [mine] = await system.mail.wait_for(1, address=owner.user["email"], kind=kind)
    [theirs] = await system.mail.wait_for(1, address=co_owner.user["email"], kind=kind)
    assert "CZ65 … 5399" in text_of(mine) and "CZ55 … 7899" in text_of(mine)
    assert NEW_IBAN not in text_of(mine), "the notice masks the IBAN"
    assert f"{system.gateway}/audit" in text_of(mine)
    assert theirs["Subject"].startswith("Kasa: IBAN pro platby"), "each owner in their language"

    configured = await owner.put(
        "/api/v1/plugins/fio/config",
        json={"enabled": True, "settings": {}, "credentials": {"token": FIO_TOKEN}},
    )
    assert configured.status_code == 200, configured.text
    kind = "security_notice.bank_credential"
    [bank] = await system.mail.wait_for(1, address=co_owner.user["email"], kind=kind)
    assert "fio" in text_of(bank) and FIO_TOKEN not in text_of(bank)
    await asyncio.sleep(1.5)  # a second notice, or one to the member, would be here by now
    assert len(system.mail.to(owner.user["email"], "security_notice.payout_iban")) == 1
    member_mail = system.mail.to(member.user["email"])
    assert not [m for m in member_mail if m["X-Kasa-Mail"].startswith("security_notice")]


async def test_a_locked_account_is_told_once_however_long_the_attack(system):
    user = await system.user()
    email = user.user["email"]
    for _ in range(8):  # locked after five; each further failure locks again
        await user.http.post("/api/v1/auth/token", json={"email": email, "password": "wrong"})
    [notice] = await system.mail.wait_for(1, address=email, kind="security_notice.locked_out")
    assert "failed sign-ins" in text_of(notice)
    await asyncio.sleep(1.5)
    assert len(system.mail.to(email, "security_notice.locked_out")) == 1


async def test_a_reset_password_is_told_to_the_account(system):
    user = await system.user()
    email = user.user["email"]
    await ok(await user.http.post("/api/v1/auth/password-reset", json={"email": email}))
    [reset] = await system.mail.wait_for(1, address=email, kind="password_reset")
    await ok(
        await user.http.post(
            "/api/v1/auth/password-reset/confirm",
            json={"token": link_token(reset), "password": f"new {uuid.uuid4().hex}"},
        )
    )
    [notice] = await system.mail.wait_for(1, address=email, kind="security_notice.password_reset")
    assert "signed out" in text_of(notice)
