"""The web application in Debian's Chromium, through Playwright, against the real stack.

Browsers cannot be downloaded here, so Playwright launches the system's ``/usr/bin/chromium``
(installed from the system's packages when missing). Every test signs up a new person, so
tests share the stack but never each other's data.
"""

import os
import uuid
from pathlib import Path
from typing import Any

import pytest
from axe_playwright_python.async_playwright import Axe
from playwright.async_api import Page, expect

from kasa_localstack.infra import ensure_chromium
from kasa_localstack.mail_sink import link_token
from kasa_localstack.testing import KasaClient

ROOT = Path(__file__).resolve().parents[2]
SHOTS = ROOT / ".data" / "screens"
DOCS_SCREENS = ROOT / "docs" / "screens"
PASSWORD = "a-long-browser-password"
API_PASSWORD = "correct horse battery"  # what KasaClient registers with
# Without these, Chromium keeps trying to reach Google's services from a closed network.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


# The whole system shares two cores with the browser: give pages time, not a flaky failure.
expect.set_options(timeout=20_000)


@pytest.fixture(autouse=True)
def patient_pages(page: Page) -> None:
    page.set_default_timeout(30_000)
    page.set_default_navigation_timeout(60_000)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    return {
        **browser_type_launch_args,
        "executable_path": ensure_chromium(),
        "args": CHROMIUM_ARGS,
        "headless": True,
    }


@pytest.fixture(scope="session")
def base_url(system) -> str:
    return system.gateway


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args: dict[str, Any], base_url: str) -> dict[str, Any]:
    return {
        **browser_context_args,
        "base_url": base_url,
        "locale": "en-GB",
        "timezone_id": "Europe/Prague",
        "viewport": {"width": 1280, "height": 900},
    }


class Web:
    """What browser tests share: signing up, checking accessibility, taking screenshots."""

    password = PASSWORD

    @staticmethod
    def new_email() -> str:
        return f"web-{uuid.uuid4().hex[:10]}@example.com"

    async def sign_up(
        self, page: Page, name: str = "Jana Nováková", workspace: str = "Studio Nováková"
    ) -> str:
        """Create an account through the sign-up form, by keyboard; returns its email."""
        email = self.new_email()
        await page.goto("/sign-up")
        await page.locator("#f-name").fill(name)
        await page.locator("#f-email").fill(email)
        await page.locator("#f-workspace_name").fill(workspace)
        await page.locator("#f-password").fill(PASSWORD)
        await page.locator("#f-password_again").fill(PASSWORD)
        await page.locator("#f-password_again").press("Enter")
        await expect(page.locator("body[data-signed-in]")).to_have_count(1)
        return email

    @staticmethod
    async def verify_address(page: Page, system: Any, email: str) -> None:
        """Open the verification link mailed to ``email`` in ``page`` and confirm it."""
        found = await system.mail.wait_for(1, address=email, kind="email_verification")
        assert found, f"no verification mail reached {email}"
        await page.goto(f"/verify-email?token={link_token(found[-1])}")
        await page.get_by_role("button", name="Verify my address").click()
        await expect(page.get_by_role("heading", name="Address verified")).to_be_visible()

    @staticmethod
    async def joined(system: Any, owner: KasaClient, role: str) -> KasaClient:
        """A new user who accepted the owner's invitation with ``role``, acting in that
        workspace through the API."""
        user = await system.user()
        invited = await owner.post(
            "/api/v1/invitations", json={"email": user.user["email"], "role": role}
        )
        assert invited.status_code == 201, invited.text
        accepted = await user.post(
            "/api/v1/invitations/accept", json={"token": invited.json()["token"]}
        )
        assert accepted.status_code == 200, accepted.text
        switched = await user.post(
            "/api/v1/auth/switch", json={"workspace_id": str(owner.user["workspace_id"])}
        )
        assert switched.status_code == 200, switched.text
        user.token = switched.json()["access_token"]
        return user

    @staticmethod
    async def sign_in_as_password(page: Page, email: str, password: str) -> None:
        """Sign in through the sign-in form."""
        await page.goto("/sign-in")
        await page.locator("#f-email").fill(email)
        await page.locator("#f-password").fill(password)
        await page.locator("#f-password").press("Enter")
        await expect(page.locator("body[data-signed-in]")).to_have_count(1)

    async def sign_in_as(self, page: Page, email: str, workspace_id: str | None = None) -> None:
        """Sign in a user made through the API (``system.user()``); with ``workspace_id``,
        switch the page to that workspace."""
        await self.sign_in_as_password(page, email, API_PASSWORD)
        if workspace_id:
            await page.goto("/workspaces")
            switch = page.locator(
                f"form[action='/workspaces/switch']:has(input[value='{workspace_id}']) button"
            )
            async with page.expect_navigation():
                await switch.click()
            await expect(page.locator("body[data-signed-in]")).to_have_count(1)

    @staticmethod
    async def sign_out(page: Page) -> None:
        await page.locator("form[action='/sign-out'] button").click()
        await expect(page.locator("form[action='/sign-in']")).to_be_visible()

    @staticmethod
    async def assert_accessible(page: Page) -> None:
        """axe-core finds no serious or critical violation on the page as it is now."""
        # Colours caught halfway through a CSS transition (a theme switch, a hover) are neither
        # the old nor the new ones: with motion reduced, every transition ends at once.
        await page.emulate_media(reduced_motion="reduce")
        await page.wait_for_timeout(50)
        results = await Axe().run(page)
        bad = [
            v for v in results.response["violations"] if v.get("impact") in ("serious", "critical")
        ]
        summary = "\n".join(
            f"{v['impact']}: {v['id']}: {v['help']} at "
            + "; ".join(
                f"{node['target']} ({node.get('failureSummary', '').strip()})"
                for node in v["nodes"][:5]
            )
            for v in bad
        )
        assert not bad, f"{page.url}\n{summary}"

    @staticmethod
    async def shot(page: Page, name: str) -> Path:
        """A full-page screenshot to look at; ``make screens`` writes them into docs/screens."""
        folder = DOCS_SCREENS if os.environ.get("KASA_SCREENS") == "1" else SHOTS
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{name}.png"
        await page.screenshot(path=str(path), full_page=True)
        return path


@pytest.fixture(scope="session")
def web() -> Web:
    return Web()
