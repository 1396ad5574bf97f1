"""Matching in a real browser: the queue of suggestions with their reasons, rejecting and
accepting, a partial payment matched by hand, undoing a match, and who may do what."""

import asyncio
import re
from typing import Any

from playwright.async_api import Page, expect

from kasa_localstack.testing import KasaClient, issue_invoice


async def ledger_knows(owner: KasaClient, *numbers: str) -> None:
    """Wait until the ledger has heard of these invoices (it learns them from events)."""
    for _ in range(120):
        answer = await owner.get("/api/v1/matches/open-invoices", params={"limit": 100})
        known = {i["number"] for i in answer.json()["items"]}
        if set(numbers) <= known:
            return
        await asyncio.sleep(0.5)
    raise AssertionError(f"the ledger never learned of {numbers}")


async def income(owner: KasaClient, amount: str, **fields: Any) -> dict[str, Any]:
    body = {
        "type": "income",
        "amount": amount,
        "currency": "CZK",
        "transacted_on": "2026-03-10",
        **fields,
    }
    answer = await owner.post("/api/v1/transactions", json=body)
    assert answer.status_code == 201, answer.text
    return dict(answer.json())


async def invoice_status(page: Page, invoice_id: str, status: str) -> None:
    """The invoice's page shows ``status`` (invoicing learns of payments from events)."""
    shown = page.locator("#invoice-status .status-value[data-status]")
    for _ in range(60):
        await page.goto(f"/invoices/{invoice_id}")
        if await shown.get_attribute("data-status") == status:
            return
        await asyncio.sleep(0.5)
    await expect(shown).to_have_attribute("data-status", status)


async def test_a_bookkeeper_decides_suggestions_and_matches_a_partial_payment(
    page: Page, web, system
) -> None:
    owner = await system.user()
    first = await issue_invoice(owner, minutes=600)  # 12,100 CZK with VAT
    second = await issue_invoice(owner, minutes=300)  # 6,050 CZK
    await ledger_knows(owner, first["number"], second["number"])
    # One payment names both invoices: the ledger cannot tell which, so it asks.
    ambiguous = await income(
        owner,
        "12100.00",
        counterparty="Acme s.r.o.",
        description=f"Invoices {first['number']} and {second['number']}",
    )
    await web.sign_in_as(page, owner.user["email"])
    await page.get_by_role("link", name="Matching", exact=True).first.click()
    await expect(page.get_by_role("heading", name="Matching", level=1)).to_be_visible()
    card = page.locator(".match-card")
    await expect(card).to_have_count(1)
    options = card.locator(".match-invoice")
    await expect(options).to_have_count(2)
    await expect(card.locator(".match-payment")).to_contain_text("Acme s.r.o.")
    right = options.filter(has_text=first["number"])
    wrong = options.filter(has_text=second["number"])
    await expect(right.locator(".match-badges")).to_contain_text("Invoice number in the message")
    await expect(right.locator(".match-badges")).to_contain_text("Same amount as outstanding")
    await expect(wrong.locator(".match-badges")).to_contain_text("More than outstanding")
    await web.assert_accessible(page)
    await web.shot(page, "matching-queue")
    await page.emulate_media(color_scheme="dark")
    await page.wait_for_timeout(500)  # let Pico's colour transitions settle before axe looks
    await web.assert_accessible(page)
    await web.shot(page, "matching-queue-dark")
    await page.emulate_media(color_scheme="light")

    # Reject the wrong one: it is gone, and stays gone.
    await wrong.get_by_role("button", name="Reject").click()
    await expect(page.get_by_role("status")).to_contain_text("will not be suggested again")
    await expect(options).to_have_count(1)
    await page.reload()
    await expect(options).to_have_count(1)
    await expect(options).to_contain_text(first["number"])
    suggested = await owner.get(
        "/api/v1/matches/suggestions", params={"transaction_id": ambiguous["id"]}
    )
    assert [s["invoice_number"] for s in suggested.json()["items"]] == [first["number"]]
    await options.get_by_role("button", name="Accept").click()
    await expect(page.get_by_role("status")).to_contain_text("Matched")
    await expect(page.get_by_role("heading", name="Nothing to decide")).to_be_visible()
    await invoice_status(page, first["id"], "paid")

    # A partial payment matched by hand: the invoice is partly paid, then paid.
    part = await income(owner, "4000.00", counterparty="Acme s.r.o.", description="advance")
    await page.goto("/matching")
    unmatched = page.locator("section[aria-labelledby='unmatched-title']")
    await expect(unmatched).to_contain_text("advance")
    await unmatched.get_by_role("link", name=re.compile("Match the payment")).click()
    await expect(page.get_by_role("heading", name="Match a payment", level=1)).to_be_visible()
    await web.assert_accessible(page)
    await page.evaluate("window.kasaStayed = true")
    await page.get_by_label("Find by number, client or amount").fill(second["number"])
    candidates = page.locator("#candidates tbody tr")
    await expect(candidates).to_have_count(1)
    assert await page.evaluate("window.kasaStayed === true"), "the search reloaded the page"
    amount = candidates.first.get_by_label(f"Amount to apply to {second['number']}")
    await expect(amount).to_have_value("4000.00")
    await web.shot(page, "matching-panel")
    await page.emulate_media(color_scheme="dark")
    await page.wait_for_timeout(500)  # let Pico's colour transitions settle before axe looks
    await web.assert_accessible(page)
    await page.emulate_media(color_scheme="light")
    # More than the payment has is refused, and said so.
    await amount.fill("5000")
    await candidates.first.get_by_role("button", name=f"Match to {second['number']}").click()
    await expect(page.locator("#form-error")).to_contain_text("between 0 and 4000")
    await page.get_by_label("Find by number, client or amount").fill("6 050")
    await expect(candidates).to_have_count(1)
    await candidates.first.get_by_role("button", name=f"Match to {second['number']}").click()
    await expect(page.get_by_role("status")).to_contain_text("Matched")
    await expect(page.locator(".tx-matches")).to_contain_text(second["number"])
    await invoice_status(page, second["id"], "partially_paid")

    rest = await income(owner, "2050.00", counterparty="Acme s.r.o.", description="the rest")
    await page.goto(f"/matching/transactions/{rest['id']}")
    await page.get_by_label("Find by number, client or amount").fill("Acme")
    row = page.locator("#candidates tbody tr").filter(has_text=second["number"])
    await expect(row.locator(".badge")).to_have_text("Same amount")
    await row.get_by_role("button", name=f"Match to {second['number']}").click()
    await expect(page.get_by_role("status")).to_contain_text("Matched")
    await invoice_status(page, second["id"], "paid")

    # A wrong match undone from the transaction: the invoice expects the money again.
    await page.goto(f"/transactions/{rest['id']}")
    await page.get_by_role("button", name=f"Undo the match to {second['number']}").click()
    await expect(page.get_by_role("status")).to_contain_text("match is undone")
    await expect(page.locator(".tx-undone")).to_contain_text("undone")
    await web.assert_accessible(page)
    await invoice_status(page, second["id"], "partially_paid")
    assert part["id"] != rest["id"]


async def test_a_viewer_sees_the_queue_read_only_and_a_forged_accept_is_refused(
    page: Page, web, system
) -> None:
    owner = await system.user()
    first = await issue_invoice(owner, minutes=600)
    second = await issue_invoice(owner, minutes=300)
    await ledger_knows(owner, first["number"], second["number"])
    payment = await income(owner, "12100.00", description=f"{first['number']} {second['number']}")
    suggestions = (
        await owner.get("/api/v1/matches/suggestions", params={"transaction_id": payment["id"]})
    ).json()["items"]
    assert len(suggestions) == 2
    viewer = await web.joined(system, owner, "viewer")
    await web.sign_in_as(page, viewer.user["email"], str(owner.user["workspace_id"]))
    await expect(page.locator(".workspace-name")).to_have_text(
        f"Workspace of {owner.user['email']}"
    )
    await page.goto("/matching")
    await expect(page.locator(".match-invoice")).to_have_count(2)
    await expect(page.get_by_role("button", name="Accept")).to_have_count(0)
    await expect(page.get_by_role("button", name="Reject")).to_have_count(0)
    await web.assert_accessible(page)
    await page.goto(f"/matching/transactions/{payment['id']}")
    await expect(page.get_by_role("button", name=re.compile("^Match"))).to_have_count(0)

    cookies = await page.context.cookies()
    token = next(c["value"] for c in cookies if c["name"] == "kasa_csrf")
    forged = await page.request.post(
        f"/matching/suggestions/{suggestions[0]['id']}/accept", form={"csrf_token": token}
    )
    assert forged.status == 403
    assert "Not allowed" in await forged.text()
    still = await owner.get("/api/v1/matches/suggestions", params={"transaction_id": payment["id"]})
    assert len(still.json()["items"]) == 2, "nothing was decided"

    # Someone of another workspace gets the 404 page for the payment's matching panel.
    await web.sign_out(page)
    await web.sign_up(page)
    answer = await page.goto(f"/matching/transactions/{payment['id']}")
    assert answer is not None and answer.status == 404
    await expect(page.get_by_role("heading", name="Page not found")).to_be_visible()
