"""What each role sees: a member cannot change the payout details; an owner is told when an
admin changed them."""

from playwright.async_api import Page, expect

OLD_IBAN = "CZ6508000000192000145399"
NEW_IBAN = "CZ5508000000001234567899"


async def test_members_see_the_payout_details_read_only_and_owners_see_who_changed_them(
    page: Page, web, system
) -> None:
    owner = await system.user()
    workspace = str(owner.user["workspace_id"])
    profile = {"name": "Studio Nováková", "iban": OLD_IBAN, "number_format": "{year}-{seq:04d}"}
    assert (await owner.put("/api/v1/supplier", json=profile)).status_code == 200
    admin = await web.joined(system, owner, "admin")
    member = await web.joined(system, owner, "member")
    changed = await admin.put("/api/v1/supplier", json={**profile, "iban": NEW_IBAN})
    assert changed.status_code == 200, changed.text

    # The member, in the owner's workspace: the profile is shown, nothing can be saved.
    await web.sign_in_as(page, member.user["email"])
    await page.goto("/workspaces")
    await page.locator(
        f"form[action='/workspaces/switch']:has(input[value='{workspace}']) button"
    ).click()
    await expect(page.locator(".workspace-name")).to_have_text(
        f"Workspace of {owner.user['email']}"
    )
    await page.goto("/supplier")
    await expect(page.locator("#f-iban")).to_have_value(NEW_IBAN)
    await expect(page.locator("#f-iban")).to_be_disabled()
    await expect(page.get_by_role("button", name="Save profile")).to_have_count(0)
    await web.assert_accessible(page)
    await web.shot(page, "supplier-as-member")
    await web.sign_out(page)

    # The owner is told on the dashboard that someone else changed where payments go.
    await web.sign_in_as(page, owner.user["email"])
    notice = page.locator(".payout-changes")
    await expect(notice).to_contain_text(NEW_IBAN)
    await expect(notice).to_contain_text(OLD_IBAN)
    await web.assert_accessible(page)
    await web.shot(page, "dashboard-payout-change")
