"""Signing up, in and out in a real browser, with the errors a person can meet."""

import re

import pytest
from playwright.async_api import Page, expect


async def test_sign_up_opens_the_dashboard_and_sign_out_ends_the_session(page: Page, web) -> None:
    await web.sign_up(page)
    await expect(page.get_by_text("Welcome to Kasa")).to_be_visible()
    await web.assert_accessible(page)
    await web.shot(page, "dashboard-new")
    await web.sign_out(page)
    await expect(page).to_have_url("/sign-in")
    await page.goto("/invoices")
    await expect(page).to_have_url("/sign-in?next=/invoices")


async def test_a_wrong_password_does_not_tell_whether_the_account_exists(page: Page, web) -> None:
    email = await web.sign_up(page)
    await web.sign_out(page)
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
    await web.sign_out(page)
    await page.goto("/sign-in?next=/")
    # The email field has focus once the page is loaded; typing before then goes nowhere.
    await expect(page.locator("#f-email")).to_be_focused()
    await page.keyboard.type(email)
    await page.keyboard.press("Tab")
    await page.keyboard.type(web.password)
    await page.keyboard.press("Enter")
    await expect(page.locator("h1")).to_have_text("Dashboard")
    await web.assert_accessible(page)


async def test_a_locked_account_is_told_when_to_try_again(page: Page, web) -> None:
    email = await web.sign_up(page)
    await web.sign_out(page)
    for _ in range(5):
        await page.goto("/sign-in")
        await page.locator("#f-email").fill(email)
        await page.locator("#f-password").fill("wrong wrong wrong")
        await page.locator("#f-password").press("Enter")
        await expect(page.get_by_role("alert")).to_have_text("Wrong email or password.")
    # From a fresh form, as a person coming back would: the refused page's own form may still
    # be settling when the next keystrokes arrive.
    await page.goto("/sign-in")
    await page.locator("#f-email").fill(email)
    await page.locator("#f-password").fill(web.password)
    await page.locator("#f-password").press("Enter")
    await expect(page.get_by_role("alert")).to_have_text(
        re.compile(r"Too many sign-in attempts\. Try again in \d+ seconds\.")
    )


@pytest.mark.browser_context_args(locale="cs-CZ")
async def test_pages_before_sign_in_speak_the_browsers_language_or_the_one_picked(
    page: Page, web
) -> None:
    await page.goto("/sign-in")
    await expect(page.locator("h1")).to_have_text("Přihlášení do Kasy")
    await page.get_by_role("button", name="English").click()
    await expect(page.locator("h1")).to_have_text("Sign in to Kasa")
    await web.assert_accessible(page)


async def test_the_dark_mode_toggle_is_remembered(page: Page, web) -> None:
    await web.sign_up(page)
    html = page.locator("html")
    await expect(html).not_to_have_attribute("data-theme", "dark")
    await page.locator("[data-theme-toggle]").click()
    await expect(html).to_have_attribute("data-theme", "dark")
    await page.reload()
    await expect(html).to_have_attribute("data-theme", "dark")
    await web.assert_accessible(page)
    await page.locator("[data-theme-toggle]").click()
    await page.reload()
    await expect(html).to_have_attribute("data-theme", "light")
