"""What a person sees when part of Kasa is down, or a page does not exist for them."""

from playwright.async_api import Page, expect


async def test_a_service_that_is_down_gives_a_friendly_page_with_a_retry(
    page: Page, web, system
) -> None:
    await web.sign_up(page)
    system.stack.services["invoicing"].stop()
    try:
        answer = await page.goto("/")
        assert answer is not None and answer.status == 503
        await expect(page.locator("h1")).to_have_text("Kasa is not answering right now")
        await expect(page.get_by_text("Traceback")).to_have_count(0)
        await web.assert_accessible(page)
    finally:
        system.stack.services["invoicing"].start()
        await system.stack.services["invoicing"].wait_ready()
    await page.get_by_role("button", name="Try again").click()
    await expect(page.locator("h1")).to_have_text("Dashboard")


async def test_an_unknown_page_is_a_404_page(page: Page, web) -> None:
    await web.sign_up(page)
    answer = await page.goto("/no-such-page")
    assert answer is not None and answer.status == 404
    await expect(page.locator("h1")).to_have_text("Page not found")
    await web.assert_accessible(page)
