"""Invoices in a real browser: the supplier profile, drafting from unbilled work, issuing,
the payment QR code, the PDF, portal links, cancelling, the list with its filters and totals,
a payment arriving live from the bank, and the trail that explains it."""

import re
from pathlib import Path
from typing import Any

from playwright.async_api import Browser, Page, expect

SUPPLIER = {
    "name": "Studio Nováková",
    "address": "Dlouhá 1\n110 00 Praha 1",
    "company_id": "12345678",
    "vat_id": "CZ12345678",
    "bic": "GIBACZPX",
}
GOOD_IBAN = "CZ65 0800 0000 1920 0014 5399"


def czk(amount: str) -> re.Pattern[str]:
    """An amount in crowns as an English page writes it (Babel may leave out the space)."""
    return re.compile("CZK\\s?" + re.escape(amount))


async def api(page: Page, method: str, path: str, body: Any = None) -> Any:
    """The public API with the browser's own session, as a script on the page would call it."""
    cookies = await page.context.cookies()
    csrf = next(c["value"] for c in cookies if c["name"] == "kasa_csrf")
    response = await page.request.fetch(
        path, method=method, data=body, headers={"X-CSRF-Token": csrf}
    )
    assert response.ok, f"{method} {path}: {response.status} {await response.text()}"
    return await response.json() if await response.body() else None


async def client_with_work(page: Page, minutes: tuple[int, ...] = (90, 45, 120)) -> dict[str, Any]:
    client = await api(
        page,
        "POST",
        "/api/v1/clients",
        {"name": "Acme s.r.o.", "currency": "CZK", "hourly_rate": "1200", "language": "en"},
    )
    project = await api(
        page, "POST", "/api/v1/projects", {"client_id": client["id"], "name": "Website"}
    )
    entries = [
        await api(
            page,
            "POST",
            "/api/v1/work-entries",
            {
                "project_id": project["id"],
                "work_date": f"2026-03-0{i + 1}",
                "minutes": m,
                "description": f"Design round {i + 1}",
            },
        )
        for i, m in enumerate(minutes)
    ]
    return {"client": client, "project": project, "entries": entries}


async def fill_supplier(page: Page, web) -> None:
    await page.goto("/supplier")
    await expect(page.locator("h1")).to_have_text("Supplier profile")
    await web.assert_accessible(page)
    for name, value in SUPPLIER.items():
        await page.locator(f"#f-{name}").fill(value)
    await page.locator("#f-vat_payer").check()
    await page.locator("#f-iban").fill("CZ00 1234 5678")
    await page.get_by_role("button", name="Save profile").click()
    # The bad IBAN is named beside its field; everything typed stays.
    await expect(page.locator("#e-iban")).to_have_text("This IBAN is not valid.")
    await expect(page.locator("#f-iban")).to_have_attribute("aria-invalid", "true")
    await expect(page.locator("#f-name")).to_have_value(SUPPLIER["name"])
    await expect(page.locator("#f-vat_payer")).to_be_checked()
    await web.assert_accessible(page)
    await page.locator("#f-iban").fill(GOOD_IBAN)
    await page.locator("#f-iban").press("Enter")
    await expect(page.get_by_role("status").first).to_have_text("Supplier profile saved.")
    await expect(page.locator("#f-iban")).to_have_value("CZ6508000000192000145399")


async def test_from_unbilled_work_to_an_issued_invoice_paid_by_the_bank(
    page: Page, web, tmp_path: Path
) -> None:
    await web.sign_up(page)
    await fill_supplier(page, web)
    work = await client_with_work(page)
    first, second, third = work["entries"]

    await page.goto("/invoices")
    await expect(page.get_by_role("heading", name="No invoices yet")).to_be_visible()
    await web.assert_accessible(page)

    # The draft, by keyboard alone.
    await page.get_by_role("button", name="New invoice").first.press("Enter")
    await expect(page.locator("h1")).to_have_text("New invoice")
    await page.locator("#f-pick-client").focus()
    await page.keyboard.press("ArrowDown")
    await page.keyboard.press("Tab")
    await page.keyboard.press("Enter")
    await expect(page.get_by_text("Unbilled work of Acme s.r.o.")).to_be_visible()
    await expect(page.locator("input[name=work_entry_ids]")).to_have_count(3)
    await expect(page.locator("#f-vat_rate")).to_have_value("21")  # a VAT payer
    await web.assert_accessible(page)
    await page.locator(f"#we-{first['id']}").press("Space")
    await page.keyboard.press("Tab")
    await page.keyboard.press("Space")  # the second entry
    await page.locator("#f-line-0-description").press_sequentially("Hosting")
    await page.keyboard.press("Tab")
    await page.keyboard.type("2")
    await page.keyboard.press("Tab")
    await page.keyboard.type("a lot")
    await page.keyboard.press("Enter")
    await expect(page.locator("#e-line-0-unit_price")).to_have_text(
        "Enter a number greater than zero."
    )
    await expect(page.locator("#f-line-0-description")).to_have_value("Hosting")
    await expect(page.locator(f"#we-{first['id']}")).to_be_checked()
    await expect(page.locator(f"#we-{second['id']}")).to_be_checked()
    await expect(page.locator(f"#we-{third['id']}")).not_to_be_checked()
    await web.assert_accessible(page)
    await page.locator("#f-line-0-unit_price").press("Control+a")
    await page.keyboard.type("250")
    await page.keyboard.press("Enter")

    await expect(page.locator("h1")).to_have_text("Draft invoice")
    await expect(page.get_by_role("status").first).to_have_text("Draft created.")
    lines = page.locator(".invoice-lines tbody tr")
    await expect(lines).to_have_count(3)
    # 1.5 h and 0.75 h at 1,200 plus 2 x 250, with 21 % VAT.
    await expect(page.locator(".grand-total td")).to_have_text(czk("3,872.00"))
    await web.assert_accessible(page)

    await lines.nth(2).get_by_role("link", name="Edit").click()
    await page.locator("#f-description").fill("Hosting, March")
    await page.locator("#f-vat_rate").fill("0")
    await page.get_by_role("button", name="Save line").click()
    await expect(page.get_by_role("status").first).to_have_text("Line saved.")
    await expect(lines.nth(2).locator(".line-text")).to_have_text("Hosting, March")
    await expect(page.locator(".grand-total td")).to_have_text(czk("3,767.00"))

    await page.get_by_role("button", name="Issue invoice").click()
    await expect(page.get_by_role("status").first).to_have_text("Invoice issued.")
    await expect(page.locator("h1")).to_have_text(re.compile(r"^Invoice \d{4}-0001$"))
    await expect(page.locator("#invoice-status .badge-issued")).to_have_text("Issued")
    invoice_id = page.url.split("/invoices/")[1].split("?")[0]

    # The QR code loads from this origin.
    await page.wait_for_function(
        "() => { const i = document.querySelector('.qr img');"
        " return i && i.complete && i.naturalWidth > 0; }"
    )
    async with page.expect_download() as info:
        await page.get_by_role("button", name="Download PDF").click()
    download = await info.value
    saved = tmp_path / "invoice.pdf"
    await download.save_as(saved)
    assert saved.read_bytes().startswith(b"%PDF")
    assert re.fullmatch(r"invoice-\d{4}-0001\.pdf", download.suggested_filename)
    preview = await page.request.get(f"/invoices/{invoice_id}/pdf")
    assert preview.headers["content-disposition"].startswith("inline")
    async with page.context.expect_page() as opened:
        await page.get_by_role("button", name="Preview PDF").click()
    tab = await opened.value
    assert tab.url.endswith(f"/invoices/{invoice_id}/pdf")
    await tab.close()

    # A portal link for the client, then revoked.
    await page.locator("#f-expires_in_days").select_option("7")
    await page.get_by_role("button", name="Create portal link").click()
    link = page.locator("#share-url")
    await expect(link).to_have_value(re.compile(r"/portal/[\w-]{20,}$"))
    await expect(page.get_by_role("button", name="Copy")).to_be_visible()
    portal_url = await link.input_value()
    assert (await page.request.get(portal_url)).status == 200
    await web.assert_accessible(page)
    await web.shot(page, "invoice-issued")
    await page.emulate_media(color_scheme="dark")
    await page.wait_for_timeout(500)  # let Pico's colour transitions settle before axe looks
    await web.assert_accessible(page)
    await web.shot(page, "invoice-issued-dark")
    await page.emulate_media(color_scheme="light")
    await page.get_by_role("button", name="Revoke all portal links").click()
    await expect(page.get_by_role("status").first).to_have_text(
        "Every portal link of this invoice is revoked."
    )
    assert (await page.request.get(portal_url)).status in (404, 410)

    # The bank pays it: the page hears of it while it is open.
    invoice = await api(page, "GET", f"/api/v1/invoices/{invoice_id}")
    await expect(page.locator("body[data-live-ready]")).to_have_count(1, timeout=15000)
    await api(
        page,
        "PUT",
        "/api/v1/plugins/demo/config",
        {
            "enabled": True,
            "settings": {
                "invoice_payments": [
                    {
                        "variable_symbol": invoice["variable_symbol"],
                        "amount": invoice["total"],
                        "currency": "CZK",
                        "payer": "Acme",
                    }
                ]
            },
        },
    )
    await api(page, "POST", "/api/v1/plugins/demo/syncs", {"count": 3})
    await expect(page.locator("#invoice-status .badge-paid")).to_have_text("Paid", timeout=60000)
    await expect(page.locator("#invoice-status .payments tbody tr")).to_have_count(1)
    await page.get_by_role("link", name="Why is this paid?").click()
    await expect(page.locator("h1")).to_have_text("Why is this paid?")
    trail = page.locator(".chain .trail-text")
    for step in (
        "A bank sync was asked for.",
        "The bank reported an incoming payment.",
        "The ledger matched the payment to this invoice.",
        "The invoice was marked paid.",
    ):
        await expect(trail.filter(has_text=step)).to_have_count(1, timeout=30000)
    await expect(
        page.locator(".chain .trail-step", has_text="The bank reported an incoming payment.")
    ).to_contain_text("By Demo bank (bank plugin)")
    await web.assert_accessible(page)
    await web.shot(page, "invoice-why-paid")

    # Another invoice, issued and then cancelled after a confirmation.
    other = await api(
        page,
        "POST",
        "/api/v1/invoices",
        {"client_id": work["client"]["id"], "work_entry_ids": [third["id"]], "vat_rate": "21"},
    )
    await api(page, "POST", f"/api/v1/invoices/{other['id']}/issue")
    await page.goto(f"/invoices/{other['id']}")
    await page.get_by_role("button", name="Cancel invoice").click()
    await expect(page.locator("h1")).to_have_text(re.compile(r"^Cancel invoice \d{4}-0002\?$"))
    await web.assert_accessible(page)
    await page.get_by_role("button", name="Yes, cancel the invoice").click()
    await expect(page.locator("#invoice-status .badge-cancelled")).to_have_text("Cancelled")
    await expect(page.get_by_role("button", name="Cancel invoice")).to_have_count(0)

    # The list: filters update only the table, totals follow the filters.
    drafted = await api(
        page,
        "POST",
        "/api/v1/invoices",
        {
            "client_id": work["client"]["id"],
            "extra_lines": [{"description": "Support", "quantity": "1", "unit_price": "1000"}],
        },
    )
    await page.goto("/invoices")
    rows = page.locator(".invoice-table tbody tr")
    await expect(rows).to_have_count(3)
    totals = page.locator(".invoice-totals")
    # Cancelled invoices owe nothing: the paid one and the draft are summed.
    await expect(totals.locator(".stat").nth(0)).to_contain_text(czk("4,767.00"))
    await expect(totals.locator(".stat").nth(1)).to_contain_text(czk("3,767.00"))
    await expect(totals.locator(".stat").nth(2)).to_contain_text(czk("0.00"))
    await web.assert_accessible(page)
    await web.shot(page, "invoice-list")
    await page.locator("h1").evaluate("h => h.dataset.before = 'filter'")
    await page.locator("#f-status").select_option("paid")
    await expect(page).to_have_url(re.compile(r"/invoices\?status=paid"))
    await expect(rows).to_have_count(1)
    await expect(rows.first).to_contain_text("2026-0001")
    await expect(totals.locator(".stat").nth(0)).to_contain_text(czk("3,767.00"))
    # Only the table was replaced: the page around it is the same page.
    await expect(page.locator("h1[data-before=filter]")).to_have_count(1)
    await page.locator("#f-status").select_option("cancelled")
    await expect(rows).to_have_count(1)
    await expect(rows.first.locator(".badge")).to_have_text("Cancelled")
    await page.locator("#f-status").select_option("draft")
    await expect(rows).to_have_count(1)
    await expect(rows.first.get_by_role("link")).to_have_text("Draft")
    await page.locator("#f-status").select_option("")
    await page.locator("#f-from").fill("2030-01-01")
    await page.locator("#f-from").dispatch_event("change")
    await expect(page.get_by_text("No invoice matches these filters.")).to_be_visible()
    await page.emulate_media(color_scheme="dark")
    await page.wait_for_timeout(500)  # let Pico's colour transitions settle before axe looks
    await page.goto("/invoices")
    await web.assert_accessible(page)
    await web.shot(page, "invoice-list-dark")
    await page.emulate_media(color_scheme="light")

    # A draft can be deleted again.
    await page.goto(f"/invoices/{drafted['id']}")
    await page.get_by_role("button", name="Delete draft").click()
    await page.get_by_role("button", name="Yes, delete the draft").click()
    await expect(page.get_by_role("status").first).to_have_text(
        "Draft deleted. Its work is unbilled again."
    )
    await expect(rows).to_have_count(2)


async def test_the_list_pages_with_the_cursor_and_filters_work_without_script(
    page: Page, web, browser: Browser, base_url: str
) -> None:
    await web.sign_up(page)
    client = await api(
        page, "POST", "/api/v1/clients", {"name": "Bulk a.s.", "currency": "EUR", "language": "en"}
    )
    for n in range(27):
        await api(
            page,
            "POST",
            "/api/v1/invoices",
            {
                "client_id": client["id"],
                "extra_lines": [{"description": f"Item {n}", "quantity": "1", "unit_price": "10"}],
            },
        )
    state = await page.context.storage_state()
    plain = await browser.new_context(
        java_script_enabled=False, base_url=base_url, storage_state=state
    )
    try:
        tab = await plain.new_page()
        await tab.goto("/invoices")
        rows = tab.locator(".invoice-table tbody tr")
        await expect(rows).to_have_count(25)
        await expect(tab.locator(".invoice-totals .stat").first).to_contain_text("€270.00")
        await tab.get_by_role("button", name="Next page").click()
        await expect(rows).to_have_count(2)
        await expect(tab.get_by_role("button", name="Next page")).to_have_count(0)
        await tab.get_by_role("link", name="First page").click()
        await expect(rows).to_have_count(25)
        await tab.locator("#f-status").select_option("paid")
        await tab.get_by_role("button", name="Filter").click()
        await expect(tab).to_have_url(re.compile(r"/invoices\?status=paid&"))
        await expect(tab.get_by_text("No invoice matches these filters.")).to_be_visible()
        await expect(tab.locator(".invoice-totals .stat")).to_have_count(0)
        await tab.locator("#f-from").fill("2026-05-01")
        await tab.locator("#f-to").fill("2026-04-01")
        await tab.get_by_role("button", name="Filter").click()
        await expect(tab.locator("#e-to")).to_have_text("The end is before the start.")
        await expect(tab.locator("#f-from")).to_have_value("2026-05-01")
        refused_filters = tab.url
    finally:
        await plain.close()
    # axe-core runs as a script, so the same page is checked where scripts run.
    await page.goto(refused_filters)
    await expect(page.locator("#e-to")).to_be_visible()
    await web.assert_accessible(page)


async def test_a_draft_needs_work_or_a_line_and_another_workspaces_invoice_is_not_found(
    page: Page, web
) -> None:
    await web.sign_up(page)
    work = await client_with_work(page, minutes=(60,))
    await page.goto(f"/invoices/new?client_id={work['client']['id']}")
    await page.get_by_role("button", name="Create draft").click()
    await expect(page.locator("#e-work_entry_ids")).to_have_text(
        "Choose at least one work entry, or add a line below."
    )
    await page.locator("#f-source-project").check()
    await page.locator("#f-from").fill("2030-01-01")
    await page.locator("#f-project_id").select_option(label="Website")
    await page.get_by_role("button", name="Create draft").click()
    await expect(page.locator("#e-project_id")).to_have_text(
        "This project has no unbilled work in that period."
    )
    await expect(page.locator("#f-from")).to_have_value("2030-01-01")
    await expect(page.locator("#f-source-project")).to_be_checked()
    await web.assert_accessible(page)
    await page.locator("#f-from").fill("")
    await page.locator("#f-grouping").select_option("project")
    await page.get_by_role("button", name="Create draft").click()
    await expect(page.locator("h1")).to_have_text("Draft invoice")
    await expect(page.locator(".invoice-lines tbody tr")).to_have_count(1)
    mine = page.url.split("/invoices/")[1].split("?")[0]
    # Issuing without a supplier profile explains what is missing.
    await page.get_by_role("button", name="Issue invoice").click()
    await expect(page.locator("#issue-error")).to_contain_text(
        "Fill in your supplier profile before issuing an invoice."
    )
    await web.assert_accessible(page)

    await web.sign_out(page)
    await web.sign_up(page, name="Petr Novák", workspace="Novák s.r.o.")
    response = await page.goto(f"/invoices/{mine}")
    assert response is not None and response.status == 404
    await expect(page.locator("h1")).to_have_text("Page not found")
    assert (await page.request.get(f"/invoices/{mine}/pdf")).status == 404
    assert (await page.request.get(f"/invoices/{mine}/qr.png")).status == 404
    await page.goto(f"/invoices/{mine}/why-paid")
    await expect(page.locator("h1")).to_have_text("Page not found")
