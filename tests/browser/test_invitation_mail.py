"""An invitation by mail: the invited person follows the mail's link, creates an account with
that address, and lands in the inviter's workspace."""

import re
import uuid

from playwright.async_api import Page, expect

LINK = re.compile(r"(https?://\S+/invitations/accept#token=[\w-]+)")


async def test_an_invited_person_joins_from_the_mail(page: Page, web, system) -> None:
    owner = await system.user()
    invitee = f"invitee-{uuid.uuid4().hex[:8]}@example.com"
    invited = await owner.post("/api/v1/invitations", json={"email": invitee, "role": "member"})
    assert invited.status_code == 201, invited.text
    [message] = await system.mail.wait_for(1, address=invitee)
    assert (
        owner.user["email"].split("@")[0] in message["Subject"]
        or "invites you" in message["Subject"]
    )
    [link] = set(LINK.findall(message.get_body(("plain",)).get_content()))
    assert link == invited.json()["url"]

    await page.goto(link)
    await expect(page.get_by_role("heading", name="Join a workspace")).to_be_visible()
    await web.assert_accessible(page)
    await page.get_by_role("button", name="Create an account").click()
    await page.locator("#f-name").fill("Ivo Invited")
    await page.locator("#f-email").fill(invitee)
    await page.locator("#f-workspace_name").fill("Ivo's own")
    await page.locator("#f-password").fill(web.password)
    await page.locator("#f-password_again").fill(web.password)
    await page.locator("#f-password_again").press("Enter")
    await expect(page.get_by_role("heading", name="Join a workspace")).to_be_visible()
    await expect(page.locator("#f-token")).not_to_have_value("")
    await web.assert_accessible(page)
    await web.shot(page, "invitation-accept")
    await page.get_by_role("button", name="Join the workspace").click()
    await expect(page.locator(".notice")).to_contain_text("You joined the workspace")
    await expect(page.locator(".workspace-name")).to_have_text(
        f"Workspace of {owner.user['email']}"
    )

    # The link worked once; a withdrawn invitation's link is dead too.
    await page.goto(link)
    await page.get_by_role("button", name="Join the workspace").click()
    await expect(page.locator("#e-token")).to_contain_text("not valid")
    other = f"other-{uuid.uuid4().hex[:8]}@example.com"
    withdrawn = await owner.post("/api/v1/invitations", json={"email": other, "role": "viewer"})
    assert (
        await owner.request("DELETE", f"/api/v1/invitations/{withdrawn.json()['id']}")
    ).status_code == 204
    stranger = await system.user()
    refused = await stranger.post(
        "/api/v1/invitations/accept", json={"token": withdrawn.json()["token"]}
    )
    assert refused.status_code == 404


async def test_an_invitation_is_sent_again_at_most_three_times_an_hour(system) -> None:
    owner = await system.user()
    email = f"again-{uuid.uuid4().hex[:8]}@example.com"
    invited = await owner.post("/api/v1/invitations", json={"email": email, "role": "member"})
    again = [
        (await owner.post(f"/api/v1/invitations/{invited.json()['id']}/resend")).status_code
        for _ in range(4)
    ]
    assert again == [200, 200, 200, 429]
    await system.mail.wait_for(4, address=email)
    assert len(system.mail.to(email)) == 4, "the invitation and three new links"
