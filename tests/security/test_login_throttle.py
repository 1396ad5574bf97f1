"""M6: nobody can keep an account's owner out by failing to sign in as them.

Failures count per account *and* address: the address that failed waits, longer with every
further failure, while the right password from any other address still signs in. The address
is the socket peer unless a trusted proxy is configured, so a forged ``X-Forwarded-For`` buys
no fresh budget. The e2e system trusts no proxy; a second client address is a real one on the
loopback network (127.0.0.2).
"""

import httpx
import pytest

from kasa_localstack.testing import KasaClient

pytestmark = [pytest.mark.e2e, pytest.mark.asyncio(loop_scope="session")]

PASSWORD = "correct horse battery"


def from_address(base_url: str, address: str) -> httpx.AsyncClient:
    transport = httpx.AsyncHTTPTransport(local_address=address)
    return httpx.AsyncClient(base_url=base_url, transport=transport, timeout=30)


async def sign_in(http: httpx.AsyncClient, email: str, password: str, **headers: str):
    return await http.post(
        "/api/v1/auth/token", json={"email": email, "password": password}, headers=headers
    )


async def email_of(user: KasaClient) -> str:
    return str((await user.get("/api/v1/me")).json()["email"])


async def test_the_right_password_signs_in_after_50_wrong_ones_from_another_address(system):
    user = await system.user()
    email = await email_of(user)
    async with from_address(system.gateway, "127.0.0.1") as attacker:
        answers = [
            (await sign_in(attacker, email, "not the password")).status_code for _ in range(50)
        ]
        assert set(answers) <= {401, 429} and answers[-1] == 429, "the attacker's address waits"
        refused = await sign_in(attacker, email, PASSWORD)
        assert refused.status_code == 429, "that address waits even with the right password"
        assert int(refused.headers["retry-after"]) > 0

        # A forged X-Forwarded-For does not make the attacker somebody else: no proxy is trusted.
        spoofed = await sign_in(attacker, email, PASSWORD, **{"X-Forwarded-For": "127.0.0.2"})
        assert spoofed.status_code == 429

    async with from_address(system.gateway, "127.0.0.2") as owner:
        signed_in = await sign_in(owner, email, PASSWORD)
        assert signed_in.status_code == 200, signed_in.text
        assert signed_in.json()["access_token"]


async def test_the_sign_in_page_counts_each_person_not_the_web_application(system):
    """The web application signs people in from its own address; the gateway must still see
    the person's, or one attacker on the sign-in page would hold everyone back."""
    user = await system.user()
    email = await email_of(user)
    form = {"email": email, "password": "not the password"}
    async with from_address(system.gateway, "127.0.0.1") as attacker:
        for _ in range(8):
            page = await attacker.post("/sign-in", data=form)
            assert page.status_code == 400
        assert "Too many sign-in attempts" in page.text

    async with from_address(system.gateway, "127.0.0.2") as owner:
        page = await owner.post("/sign-in", data={**form, "password": PASSWORD})
        assert page.status_code in (302, 303), page.text
        assert any(
            c.startswith(("kasa_session=", "__Host-kasa_session="))
            for c in page.headers.get_list("set-cookie")
        )
