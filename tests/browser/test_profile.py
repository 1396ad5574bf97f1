"""The profile (name, language, password) and moving between workspaces, in a real browser."""

from playwright.async_api import Page, expect


async def test_the_language_setting_wins_over_the_browser_and_holds_after_sign_out(
    page: Page, web
) -> None:
    await web.sign_up(page)
    await page.locator("a[href='/profile']").click()
    await expect(page.locator("h1")).to_have_text("Profile")
    await web.assert_accessible(page)
    await page.locator("#f-name").fill("Jana N.")
    await page.locator("#f-locale").select_option("cs")
    await page.locator("form[action='/profile'] button[type='submit']").click()
    await expect(page.locator("h1")).to_have_text("Profil")
    await expect(page.locator("a[href='/profile']")).to_have_text("Jana N.")
    await page.goto("/")
    await expect(page.locator("h1")).to_have_text("Přehled")
    await web.sign_out(page)
    await expect(page.locator("h1")).to_have_text("Přihlášení do Kasy")


async def test_a_password_change_refuses_a_wrong_current_password_next_to_its_field(
    page: Page, web
) -> None:
    email = await web.sign_up(page)
    await page.goto("/profile")
    await page.locator("#f-current_password").fill("not my password at all")
    await page.locator("#f-new_password").fill("a brand new long password")
    await page.locator("#f-new_password_again").fill("a brand new long password")
    await page.locator("#f-new_password_again").press("Enter")
    await expect(page.locator("#e-current_password")).to_have_text("The current password is wrong.")
    await web.assert_accessible(page)
    await page.locator("#f-current_password").fill(web.password)
    await page.locator("#f-new_password").fill("a brand new long password")
    await page.locator("#f-new_password_again").fill("a brand new long password")
    await page.locator("#f-new_password_again").press("Enter")
    await expect(page.get_by_role("status")).to_contain_text("Your password is changed.")
    await web.sign_out(page)
    await page.locator("#f-email").fill(email)
    await page.locator("#f-password").fill("a brand new long password")
    await page.locator("#f-password").press("Enter")
    await expect(page.locator("h1")).to_have_text("Dashboard")


async def test_a_new_workspace_is_switched_to_and_back(page: Page, web) -> None:
    await web.sign_up(page, workspace="Studio Nováková")
    await page.locator("a[href='/workspaces']").click()
    await expect(page.locator("h1")).to_have_text("Workspaces")
    await page.locator("#f-name").fill("Side project")
    await page.locator("#f-name").press("Enter")
    await expect(page.locator(".workspace-name")).to_have_text("Side project")
    await page.goto("/workspaces")
    await web.assert_accessible(page)
    await page.get_by_role("button", name="Switch to Studio Nováková").click()
    await expect(page.locator(".workspace-name")).to_have_text("Studio Nováková")
