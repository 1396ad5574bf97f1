"""A freelancer's first day, by mouse and keyboard, in English and again in Czech and dark.

Sign up, fill in the supplier profile, add a client and a project; run the timer for a
minute and add a fixed-amount entry; invoice that work, issue it, see its QR and download its
PDF; configure the demo bank with a payment carrying the invoice's variable symbol and sync
it; watch the invoice turn paid without a reload and open the chain that explains why.
``make screens`` runs this file with ``KASA_SCREENS=1`` to refresh ``docs/screens/``.
"""

import asyncio
import os
from datetime import date
from pathlib import Path
from typing import Any

from playwright.async_api import BrowserContext, Page, expect

from kasa_web.i18n import translations

PHONE = {"width": 360, "height": 780}
MINUTE_MS = int(os.environ.get("KASA_TIMER_MS", "61000"))


def texts(locale: str) -> Any:
    """The words the page should use, from the same catalog the web speaks from."""
    return translations(locale).gettext


def by_id(page: Page, element_id: str) -> Any:
    return page.locator(f'[id="{element_id}"]')


async def choose(select: Any, text: str) -> None:
    """Pick the option whose label contains ``text``, as a person reading the list would."""
    option = select.locator("option", has_text=text).first
    await select.select_option(value=await option.get_attribute("value"))


async def look(page: Page, web, name: str) -> None:
    """A screenshot; on a phone, also nothing wider than the screen (it scrolls down only)."""
    width = page.viewport_size["width"] if page.viewport_size else 0
    if width <= PHONE["width"]:
        overflow = await page.evaluate("document.documentElement.scrollWidth")
        assert overflow <= width, f"{page.url} is {overflow} px wide on a {width} px screen"
    await web.shot(page, name)


async def first_day(context: BrowserContext, web, locale: str, shots: str) -> None:
    _ = texts(locale)
    page = await context.new_page()
    await web.sign_up(page, name="Jana Nováková", workspace="Studio Nováková")
    await expect(page.locator("h1")).to_have_text(_("Dashboard"))

    # 1. The supplier profile, a client and a project.
    await page.get_by_role("link", name=_("Fill in your supplier profile")).click()
    await by_id(page, "f-name").fill("Studio Nováková")
    await by_id(page, "f-company_id").fill("12345678")
    await by_id(page, "f-iban").fill("CZ6508000000192000145399")
    await by_id(page, "f-iban").press("Enter")
    await expect(page.get_by_role("status").first).to_be_visible()
    await page.goto("/clients/new")
    await by_id(page, "f-name").fill("Acme s.r.o.")
    await by_id(page, "f-name").press("Enter")
    await expect(page.locator("h1")).to_have_text("Acme s.r.o.")
    await by_id(page, "f-p_name").fill("Website")
    await by_id(page, "f-p_hourly_rate").fill("1200")
    await by_id(page, "f-p_hourly_rate").press("Enter")
    await expect(page.get_by_role("cell", name="Website")).to_be_visible()

    # 2. The timer for a minute, and a fixed-amount entry.
    await page.get_by_role("link", name=_("Time"), exact=True).click()
    await by_id(page, "f-timer_description").fill("Homepage")
    await choose(by_id(page, "f-timer_project_id"), "Website")
    await page.locator("button.timer-start").click()
    await expect(page.locator("[data-started-at]")).to_be_visible()
    await page.wait_for_timeout(MINUTE_MS)
    await page.reload()  # the timer lives in the API, not in the page
    await expect(page.locator("[data-started-at]")).to_be_visible()
    await page.locator("button.timer-stop").click()
    await expect(page.locator("[data-started-at]")).to_have_count(0)
    entries = page.locator("#week")
    await expect(entries.get_by_text("Homepage")).to_be_visible()
    add = page.locator("details.add-entry")
    if not await add.evaluate("details => details.open"):
        await add.locator("summary").click()
    await by_id(page, "f-kind-fixed").check()
    await choose(add.locator("select[name='project_id']"), "Website")
    await add.locator("input[name='fixed_amount']").fill("5000")
    await add.locator("input[name='description']").fill("Domain and hosting")
    await add.locator("input[name='description']").press("Enter")
    await expect(entries.get_by_text("Domain and hosting")).to_be_visible()
    await look(page, web, f"{shots}time")

    # 3. Invoice the work: pick the entries, issue, see the QR, download the PDF.
    await page.get_by_role("link", name=_("Invoices"), exact=True).click()
    await page.goto("/invoices/new")
    await choose(by_id(page, "f-pick-client"), "Acme")
    await page.locator("form.choose-client button[type='submit']").click()
    await expect(page.locator("input[name='work_entry_ids']")).to_have_count(2)
    for box in await page.locator("input[name='work_entry_ids']").all():
        await box.check()
    await by_id(page, "f-vat_rate").fill("21")
    await by_id(page, "f-vat_rate").press("Enter")
    await expect(page.locator("form[action$='/issue']")).to_be_visible()
    invoice_id = page.url.split("?")[0].rstrip("/").split("/")[-1]
    await page.locator("form[action$='/issue'] button[type='submit']").click()
    await expect(page.locator("[data-status='issued']")).to_be_visible()
    qr = page.locator(f"img[src='/invoices/{invoice_id}/qr.png']")
    await expect(qr).to_be_visible()
    assert await qr.evaluate("img => img.complete && img.naturalWidth > 0")
    async with page.expect_download() as download:
        await page.get_by_role("button", name=_("Download PDF")).click()
    pdf = await (await download.value).path()
    assert (await asyncio.to_thread(Path(pdf).read_bytes))[:5] == b"%PDF-"
    await look(page, web, f"{shots}invoice")
    invoice = await (await page.request.get(f"/api/v1/invoices/{invoice_id}")).json()
    symbol, total = invoice["variable_symbol"], invoice["total"]
    assert symbol and invoice["status"] == "issued"

    # 4. The bank, in a second tab: a demo payment with the invoice's variable symbol.
    bank = await context.new_page()
    await bank.goto("/bank/demo")
    await by_id(bank, "f-settings.count").fill("20")
    await by_id(bank, "f-settings.invoice_payments.0.variable_symbol").fill(symbol)
    await by_id(bank, "f-settings.invoice_payments.0.amount").fill(total)
    await bank.get_by_role("button", name=_("Save configuration")).click()
    await expect(bank.get_by_role("status").first).to_be_visible()
    await look(bank, web, f"{shots}bank")

    # 5. The invoice page, open and connected, turns paid when the sync books the payment.
    await expect(page.locator("body[data-live-ready='true']")).to_have_count(1)
    await bank.get_by_role("button", name=_("Sync now")).click()
    await expect(page.locator("[data-status='paid']")).to_be_visible(timeout=120_000)
    await page.get_by_role("link", name=_("Why is this paid?")).click()
    chain = page.locator("main li")
    steps = [
        _("A bank sync was asked for."),
        _("The bank reported an incoming payment."),
        _("The ledger booked the transaction."),
        _("The ledger matched the payment to this invoice."),
        _("The invoice was marked paid."),
    ]
    for step in steps:
        await expect(chain.filter(has_text=step).first).to_be_visible()
    await look(page, web, f"{shots}why-paid")
    await page.goto("/")
    await expect(page.locator("h1")).to_have_text(_("Dashboard"))
    await look(page, web, f"{shots}dashboard")
    await web.assert_accessible(page)


async def test_a_freelancers_first_day(new_context, web) -> None:
    await first_day(await new_context(), web, "en", shots="")


async def test_the_same_day_in_czech_and_dark_mode_on_a_phone(
    browser, browser_context_args, web
) -> None:
    czech_phone = {"locale": "cs-CZ", "color_scheme": "dark", "viewport": PHONE}
    context = await browser.new_context(**{**browser_context_args, **czech_phone})
    try:
        await czech_first_day(context, web)
    finally:
        await context.close()


async def czech_first_day(context: BrowserContext, web) -> None:
    await first_day(context, web, "cs", shots="cs-dark-")
    page = context.pages[0]
    await expect(page.locator("html")).to_have_attribute("lang", "cs")
    await expect(page.locator("h1")).to_have_text("Přehled")
    assert date.today().strftime("%Y") in await page.locator("main").inner_text()
