"""Workspace settings in the browser: an owner invites, renews and withdraws invitations,
changes roles, removes members and signs their sessions out; below admin, nothing of it."""

import re
from typing import Any

from playwright.async_api import Browser, BrowserContext, Page, expect

from kasa_localstack.testing import KasaClient

FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:140.0) Gecko/20100101 Firefox/140.0"


def token_of(link: str) -> str:
    return link.split("#token=", 1)[1]


async def accept(user: KasaClient, token: str) -> int:
    answer = await user.post("/api/v1/invitations/accept", json={"token": token})
    return answer.status_code


async def csrf(page: Page) -> str:
    cookies = await page.context.cookies()
    return next(c["value"] for c in cookies if c["name"].endswith("kasa_csrf"))


async def light_and_dark(page: Page, web: Any, name: str) -> None:
    """axe and a screenshot in both modes; each test runs without motion, so axe never reads
    a colour halfway through one of Pico's transitions."""
    await web.assert_accessible(page)
    await web.shot(page, name)
    await page.emulate_media(color_scheme="dark")
    await web.assert_accessible(page)
    await web.shot(page, f"{name}-dark")
    await page.emulate_media(color_scheme="light")


async def signed_in_elsewhere(
    browser: Browser, base_url: str, web: Any, member: KasaClient, owner: KasaClient, **options: Any
) -> tuple[BrowserContext, Page]:
    """The member's own browser, signed in to the owner's workspace."""
    context = await browser.new_context(
        base_url=base_url, locale="en-GB", reduced_motion="reduce", **options
    )
    page = await context.new_page()
    await web.sign_in_as(page, member.user["email"], str(owner.user["workspace_id"]))
    await expect(page.locator(".workspace-name")).to_have_text(
        f"Workspace of {owner.user['email']}"
    )
    return context, page


async def test_an_owner_invites_renews_withdraws_and_manages_roles(page: Page, web, system) -> None:
    await page.emulate_media(reduced_motion="reduce")
    owner = await system.user()
    invitee = await system.user()
    other = await system.user()
    await web.sign_in_as(page, owner.user["email"])
    await page.get_by_role("link", name="Workspace settings").click()
    await expect(page.locator("h1")).to_have_text("Workspace settings")
    await expect(page.locator(".members-table tbody tr")).to_have_count(1)
    await expect(page.get_by_text("No pending invitations.")).to_be_visible()
    await expect(page.locator(".limits-table")).to_contain_text("Test User")
    await expect(page.locator(".plugins-table")).to_contain_text(re.compile("camt|Fio|Demo", re.I))
    await light_and_dark(page, web, "workspace-settings")

    # Invite: the link to pass on is shown once, with the role chosen.
    await page.locator("#f-email").fill(invitee.user["email"])
    await page.locator("#f-role").select_option("member")
    await page.get_by_role("button", name="Invite", exact=True).click()
    shown = page.locator("#invite-url")
    await expect(shown).to_have_value(re.compile(r"/invitations/accept#token="))
    first = token_of(await shown.input_value())
    row = page.locator(".invitations-table tbody tr").filter(has_text=invitee.user["email"])
    await expect(row).to_have_count(1)
    await light_and_dark(page, web, "workspace-invited")
    # Inviting a member again is refused beside the field.
    await page.locator("#f-email").fill(owner.user["email"])
    await page.get_by_role("button", name="Invite", exact=True).click()
    await expect(page.locator("#e-email")).to_have_text(
        "This person is already a member of the workspace."
    )
    await expect(page.locator("#f-email")).to_have_value(owner.user["email"])

    # Resend: a new link; the old one no longer works, the new one does.
    await row.get_by_role("button", name=re.compile("^New link")).click()
    await expect(page.locator(".invite-link")).to_contain_text("The previous link no longer works")
    second = token_of(await shown.input_value())
    assert second != first
    assert await accept(invitee, first) == 404
    assert await accept(invitee, second) == 200
    await page.goto("/workspace")
    await expect(page.locator(".members-table tbody tr")).to_have_count(2)
    await expect(page.get_by_text("No pending invitations.")).to_be_visible()

    # Revoke: the invitation leaves the list and its link is refused.
    await page.locator("#f-email").fill(other.user["email"])
    await page.locator("#f-role").select_option("viewer")
    await page.get_by_role("button", name="Invite", exact=True).click()
    withdrawn = token_of(await shown.input_value())
    row = page.locator(".invitations-table tbody tr").filter(has_text=other.user["email"])
    await row.get_by_role("button", name=re.compile("^Withdraw")).click()
    await expect(page.get_by_role("status")).to_have_text(
        "Invitation withdrawn. Its link no longer works."
    )
    await expect(page.locator(".invitations-table")).to_have_count(0)
    assert await accept(other, withdrawn) == 404

    # A role: the member becomes a viewer.
    member_id = str(invitee.user["user_id"])
    member_row = page.locator(f"#member-{member_id}")
    await member_row.locator("select").select_option("viewer")
    await member_row.get_by_role("button", name=re.compile("^Change")).click()
    await expect(page.get_by_role("status")).to_contain_text("Role changed.")
    await expect(page.locator(f"#member-{member_id} select")).to_have_value("viewer")
    members = (await owner.get("/api/v1/members")).json()["items"]
    assert {m["user_id"]: m["role"] for m in members}[member_id] == "viewer"
    # The last owner cannot step down: said beside the role.
    owner_row = page.locator(f"#member-{owner.user['user_id']}")
    await owner_row.locator("select").select_option("admin")
    await owner_row.get_by_role("button", name=re.compile("^Change")).click()
    await expect(owner_row.get_by_role("alert")).to_have_text(
        "A workspace keeps at least one owner."
    )
    await web.assert_accessible(page)

    # Remove, after a confirmation.
    await page.goto("/workspace")
    await (
        page.locator(f"#member-{member_id}")
        .get_by_role("button", name=re.compile("^Remove"))
        .click()
    )
    await expect(page).to_have_url(re.compile(r"/remove$"))
    await expect(page.locator("h1")).to_contain_text("Remove Test User from the workspace?")
    await light_and_dark(page, web, "workspace-remove")
    await page.get_by_role("button", name="Yes, remove them").click()
    await expect(page.get_by_role("status")).to_contain_text("Member removed.")
    await expect(page.locator(".members-table tbody tr")).to_have_count(1)


async def test_an_owner_signs_out_one_session_of_a_member_then_all(
    page: Page, web, system, browser: Browser, base_url: str
) -> None:
    await page.emulate_media(reduced_motion="reduce")
    owner = await system.user()
    member = await web.joined(system, owner, "member")
    laptop, on_laptop = await signed_in_elsewhere(
        browser, base_url, web, member, owner, user_agent=FIREFOX
    )
    desktop, on_desktop = await signed_in_elsewhere(browser, base_url, web, member, owner)
    try:
        await web.sign_in_as(page, owner.user["email"])
        await page.goto("/workspace")
        member_row = page.locator(f"#member-{member.user['user_id']}")
        await member_row.get_by_role("button", name=re.compile("^Sessions")).click()
        await expect(page.locator("h1")).to_have_text("Sessions of Test User")
        sessions = page.locator(".sessions-table tbody tr")
        await expect(sessions).to_have_count(3)  # two browsers, and the API client
        firefox = sessions.filter(has_text="Firefox on Linux")
        await expect(firefox).to_have_count(1)
        await expect(sessions.filter(has_text="Chrome on Linux")).to_have_count(1)
        await expect(sessions.locator(".badge", has_text=re.compile("^app$"))).to_have_count(1)
        await light_and_dark(page, web, "workspace-member-sessions")

        # One session: the laptop is signed out at its next request, the desktop is not.
        await firefox.get_by_role("button", name=re.compile("^Sign out")).click()
        await expect(page.get_by_role("status")).to_have_text("Session signed out.")
        await expect(sessions).to_have_count(2)
        await on_laptop.reload()
        await expect(on_laptop.locator("form[action='/sign-in']")).to_be_visible()
        await on_desktop.reload()
        await expect(on_desktop.locator("body[data-signed-in]")).to_have_count(1)
        assert (await member.get("/api/v1/me")).status_code == 200

        # Every session: the desktop and the API client too.
        await page.get_by_role("button", name="Sign out everywhere").click()
        await expect(page.get_by_role("status")).to_contain_text("is signed out")
        await expect(
            page.get_by_text("is not signed in to this workspace anywhere")
        ).to_be_visible()
        await on_desktop.goto("/invoices")
        await expect(on_desktop.locator("form[action='/sign-in']")).to_be_visible()
        assert (await member.get("/api/v1/me")).status_code == 401
        await web.assert_accessible(page)
    finally:
        await laptop.close()
        await desktop.close()


async def test_below_admin_there_are_no_workspace_settings_and_forged_posts_are_refused(
    page: Page, web, system
) -> None:
    await page.emulate_media(reduced_motion="reduce")
    owner = await system.user()
    member = await web.joined(system, owner, "member")
    viewer = await web.joined(system, owner, "viewer")
    workspace = str(owner.user["workspace_id"])
    owner_id = str(owner.user["user_id"])

    for person in (member, viewer):
        await web.sign_in_as(page, person.user["email"], workspace)
        await expect(page.locator(".workspace-name")).to_have_text(
            f"Workspace of {owner.user['email']}"
        )
        await expect(page.get_by_role("link", name="Workspace settings")).to_have_count(0)
        response = await page.goto("/workspace")
        assert response is not None and response.status == 403
        await expect(page.locator("h1")).to_have_text("Not allowed")
        await web.assert_accessible(page)
        sessions_page = await page.goto(f"/workspace/members/{owner_id}")
        assert sessions_page is not None and sessions_page.status == 403
        # Posts forged with the person's own session and CSRF token: the API refuses them.
        token = await csrf(page)
        forged = {
            "/workspace/invitations": {"email": "intruder@example.com", "role": "admin"},
            f"/workspace/members/{owner_id}/role": {"role": "viewer"},
            f"/workspace/members/{owner_id}/sessions/sign-out": {},
            f"/workspace/members/{owner_id}/remove": {},
        }
        for path, fields in forged.items():
            answer = await page.request.post(path, form={"csrf_token": token, **fields})
            assert answer.status == 403, f"{path}: {answer.status}"
        await web.sign_out(page)

    invitations = (await owner.get("/api/v1/invitations")).json()["items"]
    assert [i["email"] for i in invitations] == []
    members = (await owner.get("/api/v1/members")).json()["items"]
    assert {m["user_id"]: m["role"] for m in members}[owner_id] == "owner"
    assert (await owner.get("/api/v1/me")).status_code == 200, "the owner stays signed in"

    # The owner's own post without the CSRF token is refused too.
    await web.sign_in_as(page, owner.user["email"])
    answer = await page.request.post("/workspace/invitations", form={"email": "x@example.com"})
    assert answer.status == 403
    assert (await owner.get("/api/v1/invitations")).json()["items"] == []

    # Another workspace's owner opening this member's sessions gets the 404 page.
    await web.sign_out(page)
    await web.sign_up(page, name="Petr Novák", workspace="Novák s.r.o.")
    response = await page.goto(f"/workspace/members/{member.user['user_id']}")
    assert response is not None and response.status == 404
    await expect(page.locator("h1")).to_have_text("Page not found")
