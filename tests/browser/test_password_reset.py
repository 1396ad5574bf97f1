"""A forgotten password in the browser: ask, read the mail, follow its link, sign in anew."""

import re

from playwright.async_api import Browser, Page, expect

LINK = re.compile(r"(https?://\S+/reset-password\?token=[\w-]+)")
NEW_PASSWORD = "a fresh browser passphrase"


async def test_a_person_resets_a_forgotten_password_from_the_mail(
    page: Page, browser: Browser, web, system, base_url: str
) -> None:
    email = await web.sign_up(page)
    # A second browser stays signed in: the reset must sign it out too.
    other = await browser.new_context(base_url=base_url)
    elsewhere = await other.new_page()
    await web.sign_in_as_password(elsewhere, email, web.password)
    await web.sign_out(page)

    await page.get_by_role("link", name="Forgot your password?").click()
    await expect(page.get_by_role("heading", name="Forgot your password?")).to_be_visible()
    await web.assert_accessible(page)
    await page.locator("#f-email").fill(email)
    await page.get_by_role("button", name="Send the link").click()
    await expect(page.locator(".notice")).to_contain_text(email)
    await web.shot(page, "forgot-password-sent")

    [message] = await system.mail.wait_for(1, address=email, kind="password_reset")
    [link] = set(LINK.findall(message.get_body(("plain",)).get_content()))
    await page.goto(link)
    await expect(page.get_by_role("heading", name="Choose a new password")).to_be_visible()
    await web.assert_accessible(page)
    await page.locator("#f-password").fill(NEW_PASSWORD)
    await page.locator("#f-password_again").fill("not the same passphrase")
    await page.get_by_role("button", name="Set the new password").click()
    await expect(page.locator("#e-password_again")).to_be_visible()
    await page.locator("#f-password").fill(NEW_PASSWORD)
    await page.locator("#f-password_again").fill(NEW_PASSWORD)
    await page.get_by_role("button", name="Set the new password").click()
    await expect(page.locator(".notice")).to_contain_text("Your password is changed")
    await web.shot(page, "password-reset-done")

    # The old password is refused, the new one signs in.
    await page.locator("#f-email").fill(email)
    await page.locator("#f-password").fill(web.password)
    await page.locator("#f-password").press("Enter")
    await expect(page.locator("#form-error")).to_contain_text("Wrong email or password")
    await web.sign_in_as_password(page, email, NEW_PASSWORD)

    # The other browser's session ended with the reset.
    await elsewhere.reload()
    await expect(elsewhere.locator("form[action='/sign-in']")).to_be_visible()
    await other.close()

    # The link works once.
    await page.goto(link)
    await page.locator("#f-password").fill("yet another passphrase")
    await page.locator("#f-password_again").fill("yet another passphrase")
    await page.get_by_role("button", name="Set the new password").click()
    await expect(page.get_by_text("This reset link is not valid any more")).to_be_visible()
