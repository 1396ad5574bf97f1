"""Transactions in a real browser: the filtered list, a transaction's detail with the provider's
record and its corrections, manual entries booked once, categories and rules, and who may do
what."""

import asyncio
import re
from pathlib import Path
from typing import Any

from playwright.async_api import Page, expect

from kasa_localstack.testing import KasaClient

ROOT = Path(__file__).resolve().parents[2]
STATEMENT = ROOT / "services" / "integrations" / "tests" / "unit" / "statements" / "camt053_v02.xml"


async def book(owner: KasaClient, **fields: Any) -> dict[str, Any]:
    """A manual transaction through the public API."""
    body = {"type": "expense", "currency": "CZK", "transacted_on": "2026-01-20", **fields}
    answer = await owner.post("/api/v1/transactions", json=body)
    assert answer.status_code == 201, answer.text
    return dict(answer.json())


async def csrf(page: Page) -> str:
    cookies = await page.context.cookies()
    return next(c["value"] for c in cookies if c["name"] == "kasa_csrf")


def rows(page: Page):
    return page.locator("#tx-rows tr:not(.tx-more)")


async def test_filters_and_search_narrow_the_list_and_older_rows_load_in_place(
    page: Page, web, system
) -> None:
    owner = await system.user()
    fillers = [
        book(
            owner,
            amount=f"{100 + i}.00",
            transacted_on=f"2026-01-{1 + i % 28:02d}",
            counterparty="Coffee Corner",
        )
        for i in range(52)
    ]
    for chunk in range(0, len(fillers), 8):
        await asyncio.gather(*fillers[chunk : chunk + 8])
    await book(
        owner,
        type="income",
        amount="12100.00",
        transacted_on="2026-02-10",
        counterparty="Acme Consulting",
        description="Invoice 2026-0042",
        variable_symbol="20260042",
    )
    await book(
        owner,
        amount="450.50",
        transacted_on="2026-02-12",
        counterparty="Kavárna Na Rohu",
        description="team lunch",
    )
    await web.sign_in_as(page, owner.user["email"])
    await page.get_by_role("link", name="Transactions", exact=True).click()
    await expect(page.get_by_role("heading", name="Transactions", level=1)).to_be_visible()
    await expect(rows(page)).to_have_count(50)
    first = rows(page).first
    await expect(first).to_contain_text("Kavárna Na Rohu")
    await expect(first.locator(".num .expense")).to_have_text(re.compile(r"-\s?CZK\s?450\.50"))
    await expect(page.locator("#tx-rows tr").nth(1).locator(".num .income")).to_contain_text(
        "12,100.00"
    )
    assert await first.locator("td.num").evaluate("e => getComputedStyle(e).textAlign") == "right"
    await web.assert_accessible(page)
    await web.shot(page, "transactions-list")
    await page.emulate_media(color_scheme="dark")
    await page.wait_for_timeout(500)  # let Pico's colour transitions settle before axe looks
    await web.assert_accessible(page)
    await web.shot(page, "transactions-list-dark")
    await page.emulate_media(color_scheme="light")

    # Older rows come in below, on the same page.
    url = page.url
    await page.get_by_role("button", name="Load older transactions").click()
    await expect(rows(page)).to_have_count(54)
    await expect(page.get_by_role("button", name="Load older transactions")).to_have_count(0)
    assert page.url == url

    # Free text: counterparty, message, symbol. No full reload; the filter stays in the URL.
    await page.evaluate("window.kasaStayed = true")
    search = page.get_by_label("Search")
    await search.fill("lunch")
    await expect(rows(page)).to_have_count(1)
    await expect(rows(page).first).to_contain_text("Kavárna Na Rohu")
    await expect(page).to_have_url(re.compile(r"q=lunch"))
    await search.fill("20260042")
    await expect(rows(page)).to_have_count(1)
    await expect(rows(page).first).to_contain_text("Acme Consulting")
    await search.fill("")
    await search.press("Enter")
    await page.get_by_label("Direction").select_option("income")
    await expect(rows(page)).to_have_count(1)
    await expect(page).to_have_url(re.compile(r"type=income"))
    await page.get_by_label("Direction").select_option("")
    await page.get_by_label("From").fill("2026-02-11")
    await page.get_by_label("From").press("Enter")
    await expect(rows(page)).to_have_count(1)
    await expect(rows(page).first).to_contain_text("Kavárna")
    await page.get_by_label("Source").select_option("manual")
    await page.get_by_label("Invoices").select_option("unmatched")
    await expect(page.get_by_text("No transaction matches these filters.")).to_be_visible()
    assert await page.evaluate("window.kasaStayed === true"), "filters reloaded the page"
    await web.assert_accessible(page)

    # The URL alone brings the filtered list back.
    await page.goto("/transactions?q=coffee&to=2026-01-05")
    await expect(rows(page)).to_have_count(10)
    await expect(page.get_by_label("Search")).to_have_value("coffee")

    # On a phone.
    await page.set_viewport_size({"width": 360, "height": 780})
    await page.goto("/transactions")
    await web.shot(page, "transactions-list-phone")
    width = await page.evaluate("document.documentElement.scrollWidth")
    assert width <= 360


async def test_the_detail_shows_the_raw_record_the_sync_and_a_correction(page: Page, web) -> None:
    await web.sign_up(page)
    await page.goto("/bank/camt053")
    await page.locator("#f-file").set_input_files(str(STATEMENT))
    await page.get_by_role("button", name="Upload and import").click()
    await expect(page.locator("#sync-live")).to_have_attribute(
        "data-status", "completed", timeout=30_000
    )
    sync_url = page.url
    await page.goto("/transactions")
    await expect(rows(page)).to_have_count(2, timeout=30_000)
    await page.get_by_role("link", name="Kavárna Na Rohu s.r.o.").click()
    await expect(
        page.get_by_role("heading", name="Kavárna Na Rohu s.r.o.", level=1)
    ).to_be_visible()
    raw = page.locator(".tx-raw pre")
    await expect(raw).to_contain_text("BANKREF-0002")
    await expect(page.locator(".tx-facts")).to_contain_text("123456789/0300")
    await page.get_by_role("link", name=re.compile("the sync of")).click()
    await expect(page).to_have_url(sync_url)
    await page.go_back()
    await expect(page.get_by_text("No corrections.")).to_be_visible()
    await web.assert_accessible(page)
    await page.emulate_media(color_scheme="dark")
    await page.wait_for_timeout(500)  # let Pico's colour transitions settle before axe looks
    await web.assert_accessible(page)
    await web.shot(page, "transaction-detail-dark")
    await page.emulate_media(color_scheme="light")

    # A correction: an adjustment with a reason; the booked amount stays as it was.
    await page.get_by_role("button", name="Correct the amount").click()
    await expect(page.get_by_label("Correct amount (CZK)")).to_have_value("450.50")
    await web.assert_accessible(page)
    await page.get_by_label("Correct amount (CZK)").fill("405.50")
    await page.get_by_role("button", name="Book the correction").click()
    await expect(page.locator("#e-reason")).to_be_visible()
    await expect(page.get_by_label("Correct amount (CZK)")).to_have_value("405.50")
    await page.get_by_label("Reason").fill("The bank charged the card twice for one coffee")
    await page.get_by_role("button", name="Book the correction").click()
    await expect(page.get_by_role("status")).to_contain_text("Correction booked")
    corrections = page.locator(".tx-corrections tbody tr")
    await expect(corrections).to_have_count(1)
    await expect(corrections.first).to_contain_text("Adjustment")
    await expect(corrections.first).to_contain_text("charged the card twice")
    await expect(corrections.first).to_contain_text("Jana Nováková")
    await expect(corrections.first.locator(".num")).to_contain_text("45.00")
    await expect(page.locator(".tx-amount-big")).to_contain_text("405.50")
    await expect(page.locator(".tx-amount-big")).to_contain_text("booked as")
    await expect(page.locator(".tx-facts")).to_contain_text("450.50")
    await web.assert_accessible(page)
    await web.shot(page, "transaction-detail")

    # A void, with its reason: the entry is crossed out in the list, its adjustment inside it.
    await page.get_by_role("button", name="Void").click()
    await page.get_by_label("Reason").fill("Duplicate of the card statement")
    await page.get_by_role("button", name="Yes, void it").click()
    await expect(page.get_by_role("status")).to_contain_text("voided")
    await expect(corrections).to_have_count(2)
    await expect(corrections.nth(1)).to_contain_text("Duplicate of the card statement")
    await expect(page.get_by_role("button", name="Correct the amount")).to_have_count(0)
    await page.goto("/transactions")
    await expect(rows(page)).to_have_count(2)
    await expect(page.locator("tr.tx-voided")).to_contain_text("Voided")


async def test_a_manual_transaction_submitted_twice_is_booked_once(page: Page, web) -> None:
    await web.sign_up(page)
    await page.goto("/transactions")
    await expect(page.get_by_role("heading", name="No transactions yet")).to_be_visible()
    await web.assert_accessible(page)
    await page.get_by_role("button", name="Add a transaction").first.click()
    await expect(page.get_by_role("heading", name="Add a transaction", level=1)).to_be_visible()
    await web.assert_accessible(page)
    await page.emulate_media(color_scheme="dark")
    await page.wait_for_timeout(500)  # let Pico's colour transitions settle before axe looks
    await web.assert_accessible(page)
    await web.shot(page, "transaction-new-dark")
    await page.emulate_media(color_scheme="light")

    # A refused amount is shown next to its field; the rest of the form stays.
    await page.get_by_label("Amount").fill("12,5x")
    await page.get_by_label("Counterparty", exact=True).fill("Farmers' market")
    await page.get_by_label("Message").fill("vegetables for the office")
    await page.get_by_role("button", name="Book the transaction").click()
    await expect(page.locator("#e-amount")).to_be_visible()
    await expect(page.get_by_label("Counterparty", exact=True)).to_have_value("Farmers' market")
    await web.assert_accessible(page)

    await page.get_by_label("Amount").fill("320")
    await page.get_by_label("Date").fill("2026-02-14")
    form = page.locator("form.tx-new-form")
    sent = await form.evaluate("f => Object.fromEntries(new FormData(f))")
    await page.get_by_role("button", name="Book the transaction").click()
    await expect(page.get_by_role("status")).to_have_text("Transaction booked.")
    detail = page.url
    # The same form again (a double click, a resent request): the same transaction answers.
    again = await page.request.post("/transactions", form=sent)
    assert again.ok, (again.status, await again.text())
    assert again.url == detail
    await page.goto("/transactions?q=market")
    await expect(rows(page)).to_have_count(1)
    await expect(rows(page).first.locator(".num")).to_contain_text("320.00")


async def test_a_category_is_set_inline_and_a_rule_is_made_from_a_transaction(
    page: Page, web, system
) -> None:
    owner = await system.user()
    first = await book(
        owner, amount="89.00", counterparty="Kavárna Na Rohu", description="flat white"
    )
    await book(owner, amount="120.00", counterparty="Kavárna Na Rohu", description="cake")
    await book(owner, amount="900.00", counterparty="Rohlik.cz", description="groceries")
    await web.sign_in_as(page, owner.user["email"])
    await page.goto(f"/transactions/{first['id']}")
    await page.evaluate("window.kasaStayed = true")
    section = page.locator("#tx-category")
    await section.get_by_label("Or a new category").fill("Coffee")
    await section.get_by_role("button", name="Save category").click()
    await expect(section.get_by_role("status")).to_have_text("Category saved.")
    await expect(section.locator("#f-category")).to_have_value("Coffee")
    assert await page.evaluate("window.kasaStayed === true"), "the category reloaded the page"
    await web.assert_accessible(page)

    await section.get_by_role("link", name="Make a rule from this transaction").click()
    await expect(page.get_by_label("Counterparty contains")).to_have_value("Kavárna Na Rohu")
    await expect(page.get_by_label("Direction")).to_have_value("expense")
    await expect(page.locator("#f-category")).to_have_value("Coffee")
    await expect(
        page.get_by_label("Apply the rules to the transactions already booked")
    ).to_be_checked()
    await web.assert_accessible(page)
    await page.emulate_media(color_scheme="dark")
    await page.wait_for_timeout(500)  # let Pico's colour transitions settle before axe looks
    await web.assert_accessible(page)
    await page.emulate_media(color_scheme="light")
    await page.get_by_role("button", name="Save the rule").click()
    await expect(page.get_by_role("status")).to_contain_text("applied")
    await page.goto("/transactions?category=Coffee")
    await expect(rows(page)).to_have_count(2)
    await expect(page.locator("#tx-rows")).not_to_contain_text("Rohlik")


async def test_a_viewer_sees_transactions_read_only_and_a_forged_change_is_refused(
    page: Page, web, system
) -> None:
    owner = await system.user()
    tx = await book(owner, amount="89.00", counterparty="Kavárna Na Rohu")
    viewer = await web.joined(system, owner, "viewer")
    await web.sign_in_as(page, viewer.user["email"], str(owner.user["workspace_id"]))
    await expect(page.locator(".workspace-name")).to_have_text(
        f"Workspace of {owner.user['email']}"
    )
    await page.goto("/transactions")
    await expect(rows(page)).to_have_count(1)
    await expect(page.get_by_role("button", name="Add a transaction")).to_have_count(0)
    await web.assert_accessible(page)
    await page.goto(f"/transactions/{tx['id']}")
    await expect(page.get_by_role("heading", name="Kavárna Na Rohu", level=1)).to_be_visible()
    await expect(page.locator("#tx-category form")).to_have_count(0)
    await expect(page.get_by_role("button", name="Correct the amount")).to_have_count(0)
    await expect(page.get_by_role("button", name="Void")).to_have_count(0)
    await web.assert_accessible(page)
    await page.goto("/transactions/new")
    await expect(page.get_by_role("button", name="Book the transaction")).to_have_count(0)

    # The form the page does not offer, sent anyway with the viewer's own session.
    token = await csrf(page)
    forged = await page.request.post(
        f"/transactions/{tx['id']}/category", form={"csrf_token": token, "new_category": "Mine"}
    )
    assert forged.status == 403
    assert "Not allowed" in await forged.text()
    booked = await page.request.post(
        "/transactions",
        form={
            "csrf_token": token,
            "type": "income",
            "amount": "1",
            "currency": "CZK",
            "transacted_on": "2026-02-01",
        },
    )
    assert booked.status == 403
    listed = await owner.get("/api/v1/transactions")
    assert len(listed.json()["items"]) == 1
    assert listed.json()["items"][0]["category"] is None


async def test_another_workspace_gets_the_404_page_for_a_transaction(
    page: Page, web, system
) -> None:
    owner = await system.user()
    tx = await book(owner, amount="89.00", counterparty="Kavárna Na Rohu")
    await web.sign_up(page)
    for path in (f"/transactions/{tx['id']}", f"/transactions/{tx['id']}/correct"):
        answer = await page.goto(path)
        assert answer is not None and answer.status == 404
        await expect(page.get_by_role("heading", name="Page not found")).to_be_visible()
    await web.assert_accessible(page)
