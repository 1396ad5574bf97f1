"""Every form works without JavaScript: it carries the session's CSRF token itself, not only in
the header htmx adds."""

from playwright.async_api import Browser, expect


async def test_a_form_saves_in_a_browser_without_javascript(
    browser: Browser, web, system, base_url: str
) -> None:
    owner = await system.user()
    context = await browser.new_context(base_url=base_url, java_script_enabled=False)
    page = await context.new_page()
    try:
        await web.sign_in_as(page, owner.user["email"])
        await page.goto("/supplier")
        token = page.locator("form[action='/supplier'] input[name='csrf_token']")
        await expect(token).to_have_count(1)
        await page.locator("#f-name").fill("Studio bez skriptů")
        await page.locator("#f-iban").fill("CZ6508000000192000145399")
        await page.locator("form[action='/supplier'] button[type='submit']").click()
        await expect(page.locator(".notice")).to_be_visible()
        saved = await owner.get("/api/v1/supplier")
        assert saved.json()["name"] == "Studio bez skriptů"
    finally:
        await context.close()
