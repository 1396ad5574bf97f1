"""The bank area in a real browser: plugins, their generated forms, uploads, live syncs."""

from pathlib import Path

from playwright.async_api import Page, expect

ROOT = Path(__file__).resolve().parents[2]
STATEMENT = ROOT / "services" / "integrations" / "tests" / "unit" / "statements" / "camt053_v02.xml"
FIO_TOKEN = "Tok3n" + "x" * 59


def field(page: Page, name: str):
    return page.locator(f'[id="f-{name}"]')


async def test_the_plugin_list_shows_every_plugin_and_turns_one_off_and_on(page: Page, web) -> None:
    await web.sign_up(page)
    await page.get_by_role("link", name="Bank", exact=True).click()
    await expect(page.get_by_role("heading", name="Bank", level=1)).to_be_visible()
    demo = page.locator("#plugin-demo")
    await expect(demo.get_by_role("heading", name="Demo bank")).to_be_visible()
    await expect(demo).to_contain_text("version 1.0.0")
    await expect(demo).to_contain_text("Enabled")
    await expect(demo).to_contain_text("Never")
    fio = page.locator("#plugin-fio")
    await expect(fio).to_contain_text("Not set up")
    await expect(fio).to_contain_text("1 request per 30 s, per access token")
    await expect(page.locator("#plugin-camt053")).to_contain_text("File import")
    await web.assert_accessible(page)
    await web.shot(page, "bank-list")
    await page.emulate_media(color_scheme="dark")
    await web.shot(page, "bank-list-dark")
    await page.emulate_media(color_scheme="light")

    await demo.get_by_role("button", name="Disable Demo bank").click()
    await expect(page.get_by_role("status")).to_have_text("Saved.")
    await expect(demo).to_contain_text("Disabled")
    await page.goto("/bank/demo")
    await expect(page.get_by_role("button", name="Sync now")).to_be_disabled()
    await page.get_by_role("button", name="Enable").click()
    await expect(page.get_by_role("button", name="Sync now")).to_be_enabled()
    await page.goto("/bank")
    await expect(page.locator("#plugin-demo")).to_contain_text("Enabled")

    # On a phone, and in Czech.
    await page.set_viewport_size({"width": 360, "height": 780})
    await page.goto("/bank/demo")
    await web.shot(page, "bank-plugin-phone")
    width = await page.evaluate("document.documentElement.scrollWidth")
    assert width <= 360


async def test_the_bank_speaks_czech(browser, base_url: str, web) -> None:
    context = await browser.new_context(base_url=base_url, locale="cs-CZ")
    page = await context.new_page()
    try:
        await web.sign_up(page)
        await page.goto("/bank")
        await expect(page.get_by_role("heading", name="Banka", level=1)).to_be_visible()
        await expect(page.locator("#plugin-fio")).to_contain_text("Nenastaveno")
        await page.goto("/bank/demo")
        await expect(page.get_by_role("button", name="Synchronizovat")).to_be_visible()
        await expect(page.get_by_text("Transakcí na jednu synchronizaci")).to_be_visible()
        await web.shot(page, "bank-plugin-cs")
    finally:
        await context.close()


async def test_the_demo_bank_is_configured_through_its_generated_form_and_syncs_live(
    page: Page, web
) -> None:
    await web.sign_up(page)
    await page.goto("/bank/demo")
    await expect(page.get_by_role("heading", name="Demo bank", level=1)).to_be_visible()
    await expect(page.locator("body[data-live-ready]")).to_have_count(1)
    count = field(page, "settings.count")
    await expect(count).to_have_value("50")
    await web.assert_accessible(page)
    await web.shot(page, "bank-plugin")
    await page.emulate_media(color_scheme="dark")
    await web.shot(page, "bank-plugin-dark")
    await page.emulate_media(color_scheme="light")

    # A refused value comes back next to its field, and what was typed stays.
    await count.fill("0")
    await field(page, "settings.invoice_payments.0.variable_symbol").fill("20269999")
    await field(page, "settings.invoice_payments.0.amount").fill("1500.50")
    await page.get_by_role("button", name="Save configuration").click()
    await expect(page.locator('[id="e-settings.count"]')).to_have_text("This number is too small.")
    await expect(count).to_have_attribute("aria-invalid", "true")
    await expect(field(page, "settings.invoice_payments.0.variable_symbol")).to_have_value(
        "20269999"
    )
    await web.assert_accessible(page)

    await count.fill("300")
    await page.get_by_role("button", name="Save configuration").click()
    await expect(page.get_by_role("status").first).to_have_text("Saved.")
    await expect(count).to_have_value("300")
    await expect(field(page, "settings.invoice_payments.0.variable_symbol")).to_have_value(
        "20269999"
    )
    await expect(field(page, "settings.invoice_payments.0.amount")).to_have_value("1500.50")

    # Sync now: the run's page follows it over the WebSocket until it is done.
    await page.get_by_text("Options for this run").click()
    # Long enough to be seen running: a short sync on a quiet machine is done before the page
    # hears it start.
    await field(page, "count").fill("10000")
    await page.get_by_role("button", name="Sync now").click()
    await expect(page.get_by_role("heading", name="Sync of Demo bank")).to_be_visible()
    await page.evaluate(
        "window.pushed = 0; document.body.addEventListener('kasa:event', (e) => {"
        " if (e.detail.event_type.startsWith('integrations.sync.')) window.pushed += 1; })"
    )
    live = page.locator("#sync-live")
    await expect(live).to_have_attribute("data-status", "running")
    await expect(live.get_by_role("status")).to_contain_text("Running")
    await expect(live).to_have_attribute("data-status", "completed", timeout=90_000)
    await expect(page.locator("#count-created")).to_have_text("10,000")
    await expect(live).to_contain_text("Completed")
    # The page was never reloaded: the sync's events came over the WebSocket.
    await page.wait_for_function("window.pushed >= 1", timeout=30_000)
    await web.assert_accessible(page)
    await web.shot(page, "bank-sync")

    await page.get_by_role("link", name="Back to Demo bank").click()
    row = page.locator(".sync-history tbody tr").first
    await expect(row).to_contain_text("Completed")
    await expect(row).to_contain_text("10,000")
    await web.assert_accessible(page)
    await web.shot(page, "bank-plugin-history")
    # A second sync while none runs is accepted; the first page of the list stays live.
    await page.get_by_role("button", name="Sync now").click()
    await expect(page.locator("#sync-live")).to_have_attribute(
        "data-status", "completed", timeout=60_000
    )
    await expect(page.locator("#count-skipped")).to_have_text("300")


async def test_a_second_sync_while_one_runs_is_refused_with_a_clear_message(
    page: Page, web
) -> None:
    await web.sign_up(page)
    await page.goto("/bank/demo")
    await page.get_by_text("Options for this run").click()
    await field(page, "count").fill("200000")
    await page.get_by_role("button", name="Sync now").click()
    await expect(page.get_by_role("heading", name="Sync of Demo bank")).to_be_visible()
    await page.goto("/bank/demo")
    await page.get_by_role("button", name="Sync now").click()
    await expect(page.locator("#sync-error")).to_contain_text("already running")
    await web.assert_accessible(page)
    await page.get_by_role("link", name="See the running sync").click()
    await page.get_by_role("button", name="Cancel the sync").click()
    await expect(page.locator("#sync-live")).to_have_attribute(
        "data-status", "cancelled", timeout=30_000
    )


async def test_a_camt053_statement_is_uploaded_and_its_sync_shown(page: Page, web) -> None:
    await web.sign_up(page)
    await page.goto("/bank/camt053")
    await expect(page.get_by_text("This plugin needs no settings.")).to_be_visible()
    # Not a statement: refused next to the file field, nothing imported.
    await page.locator("#f-file").set_input_files(
        files=[{"name": "notes.xml", "mimeType": "text/xml", "buffer": b"<notes/>"}]
    )
    await page.get_by_role("button", name="Upload and import").click()
    await expect(page.locator("#e-file")).to_contain_text("cannot be imported")
    await web.assert_accessible(page)
    await page.locator("#f-file").set_input_files(str(STATEMENT))
    await page.get_by_role("button", name="Upload and import").click()
    await expect(page.get_by_role("heading", name="Sync of ISO 20022")).to_be_visible()
    await expect(page.locator("#sync-live")).to_have_attribute(
        "data-status", "completed", timeout=30_000
    )
    created = await page.locator("#count-created").inner_text()
    assert int(created) > 0
    await web.assert_accessible(page)
    await page.goto("/bank/camt053")
    await expect(page.locator(".sync-history tbody tr").first).to_contain_text("Completed")


async def test_a_secret_shows_set_and_is_never_sent_back(page: Page, web) -> None:
    await web.sign_up(page)
    await page.goto("/bank/fio")
    token = field(page, "credentials.token")
    await expect(page.locator("label[for='f-credentials.token']")).to_contain_text("not set")
    # A wrong token is refused next to its field, and the typed secret is not echoed.
    await token.fill("short-" + "y" * 10)
    await page.get_by_role("button", name="Save configuration").click()
    await expect(page.locator('[id="e-credentials.token"]')).to_be_visible()
    await expect(token).to_have_value("")
    assert "yyyyyyyyyy" not in await page.content()
    await web.assert_accessible(page)

    await token.fill(FIO_TOKEN)
    await page.get_by_role("button", name="Save configuration").click()
    await expect(page.get_by_role("status").first).to_have_text("Saved.")
    await expect(page.locator("label[for='f-credentials.token']")).to_contain_text("set")
    await expect(page.locator("label[for='f-credentials.token']")).not_to_contain_text("not set")
    await expect(token).to_have_value("")
    assert FIO_TOKEN not in await page.content()
    response = await page.request.get("/bank/fio")
    assert FIO_TOKEN not in await response.text()

    # Saving again with the secret left empty keeps it.
    await page.goto("/bank/fio")
    await field(page, "settings.initial_days").fill("30")
    await page.get_by_role("button", name="Save configuration").click()
    await expect(page).to_have_url("/bank/fio?done=1")
    await expect(page.locator("label[for='f-credentials.token']")).not_to_contain_text("not set")
    await expect(field(page, "settings.initial_days")).to_have_value("30")
    await page.goto("/bank")
    await expect(page.locator("#plugin-fio")).to_contain_text("Enabled")

    # Fio is out of reach here: the run fails, and says why in a sentence, not a backtrace.
    await page.goto("/bank/fio")
    await page.get_by_role("button", name="Sync now").click()
    live = page.locator("#sync-live")
    await expect(live).to_have_attribute("data-status", "failed", timeout=60_000)
    await expect(live.locator(".sync-failure")).to_be_visible()
    assert "Traceback" not in await page.content()
    assert FIO_TOKEN not in await page.content()
    await web.assert_accessible(page)
    await page.goto("/bank/fio")
    row = page.locator(".sync-history tbody tr").first
    await expect(row).to_contain_text("Failed")
    assert (await row.locator(".sync-error").inner_text()).strip()
    await page.emulate_media(color_scheme="dark")
    await web.shot(page, "bank-plugin-failed-dark")
