"""A new address proven from the mail, and an address changed, in the browser."""

import re

from playwright.async_api import Page, expect

from kasa_localstack.mail_sink import link_token

LINK = re.compile(r"(https?://\S+/verify-email\?token=[\w-]+)")


async def test_a_new_account_proves_its_address_from_the_mail(page: Page, web, system) -> None:
    email = await web.sign_up(page)
    banner = page.locator(".verify-banner")
    await expect(banner).to_contain_text(email)
    await expect(banner).to_contain_text("cannot invite anyone")
    await web.assert_accessible(page)
    await web.shot(page, "verify-banner")
    await banner.get_by_role("button", name="Send a new link").click()
    await expect(page.locator(".notice")).to_contain_text("A new verification link is on its way")

    sent = await system.mail.wait_for(2, address=email, kind="email_verification")
    assert len(sent) == 2
    [link] = set(LINK.findall(sent[-1].get_body(("plain",)).get_content()))
    assert link.startswith(system.gateway + "/verify-email?token=")
    await page.goto(link)
    await expect(page.get_by_role("heading", name="Verify your email address")).to_be_visible()
    await web.assert_accessible(page)
    await page.get_by_role("button", name="Verify my address").click()
    await expect(page.get_by_role("status")).to_contain_text(f"{email} is verified")
    await web.shot(page, "verify-done")
    await page.get_by_role("button", name="Continue").click()
    await expect(page.locator("body[data-signed-in]")).to_have_count(1)
    await expect(page.locator(".verify-banner")).to_have_count(0)

    # The first link died when the address was proven: it says so, next to a way on.
    await page.goto(f"/verify-email?token={link_token(sent[0])}")
    await page.get_by_role("button", name="Verify my address").click()
    await expect(page.locator("#form-error")).to_contain_text("not valid any more")


async def test_a_person_changes_their_address_and_the_old_one_is_told(
    page: Page, web, system
) -> None:
    email = await web.sign_up(page)
    await web.verify_address(page, system, email)
    new = web.new_email()
    await page.goto("/profile")
    await page.locator("#f-new_email").fill(new)
    await page.locator("#f-email_password").fill("not my password")
    await page.get_by_role("button", name="Change email").click()
    await expect(page.locator("#e-email_password")).to_contain_text("wrong")
    await page.locator("#f-new_email").fill(new)
    await page.locator("#f-email_password").fill(web.password)
    await page.get_by_role("button", name="Change email").click()
    await expect(page.locator(".notice").first).to_contain_text("Open the link we sent")
    await expect(page.get_by_text(f"Waiting for {new}")).to_be_visible()
    await web.assert_accessible(page)
    await web.shot(page, "profile-email-pending")

    [message] = await system.mail.wait_for(1, address=new, kind="email_verification")
    await page.goto(f"/verify-email?token={link_token(message)}")
    await page.get_by_role("button", name="Verify my address").click()
    await expect(page.get_by_role("status")).to_contain_text(f"{new} is now the address")
    [told] = await system.mail.wait_for(1, address=email, kind="email_changed")
    assert new in told.get_body(("plain",)).get_content()

    await web.sign_out(page)
    await web.sign_in_as_password(page, new, web.password)
    await page.goto("/profile")
    await expect(page.locator("#f-email")).to_have_value(new)


async def test_the_verification_page_speaks_czech(browser, base_url: str, web) -> None:
    context = await browser.new_context(base_url=base_url, locale="cs-CZ")
    page = await context.new_page()
    try:
        await page.goto("/verify-email?token=made-up")
        await expect(page.get_by_role("heading", level=1)).to_have_text(
            "Ověřte svou e-mailovou adresu"
        )
        await page.get_by_role("button", name="Ověřit mou adresu").click()
        await expect(page.locator("#form-error")).to_contain_text("Tento odkaz už neplatí")
        await web.assert_accessible(page)
        await web.shot(page, "verify-refused-cs")
    finally:
        await context.close()
