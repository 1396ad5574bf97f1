"""Signing up, in and out in a real browser, with the errors a person can meet."""

from playwright.async_api import Page, expect


async def test_sign_up_opens_the_dashboard_and_sign_out_ends_the_session(page: Page, web) -> None:
    await web.sign_up(page)
    await expect(page.get_by_text("Welcome to Kasa")).to_be_visible()
    await web.assert_accessible(page)
    await web.shot(page, "dashboard-new")
    await page.get_by_role("button", name="Sign out").click()
    await expect(page).to_have_url("/sign-in")
    await page.goto("/invoices")
    await expect(page).to_have_url("/sign-in?next=/invoices")


async def test_a_wrong_password_does_not_tell_whether_the_account_exists(page: Page, web) -> None:
    email = await web.sign_up(page)
    await page.get_by_role("button", name="Sign out").click()
    for who in (email, web.new_email()):
        await page.goto("/sign-in")
        await page.locator("#f-email").fill(who)
        await page.locator("#f-password").fill("not-the-password-at-all")
        await page.locator("#f-password").press("Enter")
        await expect(page.get_by_role("alert")).to_have_text("Wrong email or password.")
        # What was typed stays.
        await expect(page.locator("#f-email")).to_have_value(who)
    await web.assert_accessible(page)


async def test_sign_in_by_keyboard_alone_returns_to_the_page_asked_for(page: Page, web) -> None:
    email = await web.sign_up(page)
    await page.get_by_role("button", name="Sign out").click()
    await page.goto("/sign-in?next=/")
    await page.keyboard.type(email)  # the email field has focus
    await page.keyboard.press("Tab")
    await page.keyboard.type(web.password)
    await page.keyboard.press("Enter")
    await expect(page.locator("h1")).to_have_text("Dashboard")
    await web.assert_accessible(page)
