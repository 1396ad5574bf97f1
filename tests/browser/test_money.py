"""The money section in a real browser: accounts and their balances, assets and liabilities
valued and closed, loans with their schedule and a booked payment; read-only for viewers and
not found for other workspaces."""

import re

from playwright.async_api import Page, expect

CLOSED_DAY = re.compile(r"Closed (1 Jul 2026|Jul 1, 2026)")
"""How the English page writes the closing day (Babel's English orders it either way)."""


def czk(amount: str) -> re.Pattern[str]:
    """An amount in crowns as an English page writes it (Babel may leave out the space)."""
    return re.compile("CZK\\s?" + re.escape(amount))


async def csrf_headers(page: Page) -> dict[str, str]:
    cookies = await page.context.cookies()
    return {"X-CSRF-Token": next(c["value"] for c in cookies if c["name"] == "kasa_csrf")}


async def look(page: Page, web, name: str) -> None:
    """axe in light and dark mode, with a screenshot of each, the pointer off the page (a
    button under it shows its hover colours)."""
    await page.mouse.move(0, 0)
    await web.assert_accessible(page)
    await web.shot(page, name)
    await page.emulate_media(color_scheme="dark")
    await page.wait_for_timeout(600)  # Pico's colour transitions
    await web.assert_accessible(page)
    await web.shot(page, f"{name}-dark")
    await page.emulate_media(color_scheme="light")


async def on_a_phone(page: Page, web, name: str) -> None:
    await page.set_viewport_size({"width": 360, "height": 780})
    await page.reload()
    await web.shot(page, name)
    assert await page.evaluate("document.documentElement.scrollWidth") <= 360
    await page.set_viewport_size({"width": 1280, "height": 900})


async def test_an_account_and_an_asset_valued_and_closed_move_net_worth(page: Page, web) -> None:
    await web.sign_up(page)
    await page.get_by_role("link", name="Money", exact=True).click()
    await expect(page.get_by_role("heading", name="Money", level=1)).to_be_visible()
    tabs = page.get_by_role("navigation", name="Money")
    await expect(tabs.get_by_role("link", name="Accounts")).to_have_attribute(
        "aria-current", "page"
    )
    await expect(page.get_by_role("heading", name="No accounts yet")).to_be_visible()
    await look(page, web, "money-accounts-empty")

    # An owner adds a cash account by keyboard.
    await page.get_by_text("Add an account").click()
    await page.locator("#f-name").fill("Cash box")
    await page.locator("#f-kind").select_option("cash")
    await page.locator("#f-opening_balance").fill("10 000")
    await page.locator("#f-opening_balance").press("Enter")
    await expect(page.get_by_role("status")).to_have_text("Account added.")
    row = page.locator(".money-table tbody tr", has_text="Cash box")
    await expect(row).to_contain_text(czk("10,000.00"))
    link = row.get_by_role("link", name="Transactions of Cash box")
    href = await link.get_attribute("href")
    assert href is not None and re.fullmatch(r"/transactions\?account_id=[0-9a-f-]{36}", href)
    await expect(page.locator("tfoot")).to_contain_text(czk("10,000.00"))

    # An asset with a first value, then a new value: the history keeps both.
    await tabs.get_by_role("link", name="Assets").click()
    await expect(page.get_by_role("heading", name="Assets", level=1)).to_be_visible()
    await expect(page.get_by_role("heading", name="No assets yet")).to_be_visible()
    await page.locator("#f-name").fill("Škoda Octavia")
    await page.locator("#f-kind").select_option("vehicle")
    await page.locator("#f-value").fill("300000")
    await page.locator("#f-valued_on").fill("2026-01-15")
    await page.get_by_role("button", name="Add asset").click()
    await expect(page.get_by_role("status")).to_have_text("Asset added.")
    await expect(page.get_by_role("heading", name="Škoda Octavia", level=1)).to_be_visible()
    asset_url = page.url.split("?")[0]

    # A value that is no amount comes back next to its field, the date kept.
    await page.locator("#f-value").fill("lots")
    await page.locator("#f-valued_on").fill("2026-06-30")
    await page.get_by_role("button", name="Record value").click()
    await expect(page.locator("#e-value")).to_have_text(
        "Enter an amount, for example 1200 or 1200.50."
    )
    await expect(page.locator("#f-valued_on")).to_have_value("2026-06-30")
    await page.locator("#f-value").fill("270000")
    await page.get_by_role("button", name="Record value").click()
    await expect(page.get_by_role("status")).to_have_text("Value recorded.")
    history = page.locator(".value-history tbody tr")
    await expect(history).to_have_count(2)
    await expect(history.first).to_contain_text(czk("270,000.00"))
    await expect(page.locator("figure.chart-line svg > title")).to_have_text(
        "Škoda Octavia over time"
    )
    await look(page, web, "money-asset")

    await page.goto("/accounts")
    worth = page.locator(".stat", has_text="Net worth today")
    await expect(worth).to_contain_text(czk("280,000.00"))

    # Closing asks for a reason, keeps the day typed, and is final.
    await page.goto(asset_url)
    await page.get_by_role("link", name="Close this asset…").click()
    await expect(page.get_by_role("heading", name="Close this asset", level=1)).to_be_visible()
    await page.locator("#f-closed_on").fill("2026-03-01")
    await page.get_by_role("button", name="Close it").click()
    await expect(page.locator("#e-reason")).to_have_text("Say why, for example sold or paid off.")
    await page.locator("#f-reason").fill("sold")
    await page.get_by_role("button", name="Close it").click()
    await expect(page.locator("#e-closed_on")).to_have_text(
        "It closes once, on or after the day of its last recorded value."
    )
    await look(page, web, "money-asset-close")
    await page.locator("#f-closed_on").fill("2026-07-01")
    await page.get_by_role("button", name="Close it").click()
    await expect(page.get_by_role("status")).to_contain_text("Asset closed.")
    await expect(page.locator(".page-head .badge")).to_have_text(CLOSED_DAY)
    await expect(page.get_by_role("button", name="Record value")).to_have_count(0)
    await expect(page.get_by_role("link", name="Close this asset…")).to_have_count(0)

    await page.get_by_role("navigation", name="Breadcrumb").get_by_role("link").click()
    listed = page.locator(".money-table tbody tr", has_text="Škoda Octavia")
    await expect(listed).to_contain_text(CLOSED_DAY)
    await look(page, web, "money-assets")
    await on_a_phone(page, web, "money-assets-phone")

    # A liability counts against net worth; the closed car no longer counts at all.
    await (
        page.get_by_role("navigation", name="Money").get_by_role("link", name="Liabilities").click()
    )
    await page.locator("#f-name").fill("Visa card")
    await page.locator("#f-kind").select_option("credit_card")
    await page.locator("#f-value").fill("2500")
    await page.get_by_role("button", name="Add liability").click()
    await expect(page.get_by_role("status")).to_have_text("Liability added.")
    await page.goto("/liabilities")
    await look(page, web, "money-liabilities")
    await page.goto("/accounts")
    await expect(page.locator(".stat", has_text="Net worth today")).to_contain_text(czk("7,500.00"))
    await look(page, web, "money-accounts")
    await on_a_phone(page, web, "money-accounts-phone")


async def test_a_loan_shows_its_schedule_and_books_a_payment_once(page: Page, web) -> None:
    await web.sign_up(page)
    headers = await csrf_headers(page)
    account = await page.request.post(
        "/api/v1/accounts",
        headers=headers,
        data={"name": "Fio business", "kind": "bank", "currency": "CZK"},
    )
    assert account.ok, await account.text()
    await page.goto("/loans")
    await expect(page.get_by_role("heading", name="No loans")).to_be_visible()
    await look(page, web, "money-loans-empty")
    await page.locator("#f-name").fill("Car loan")
    await page.locator("#f-principal").fill("100000")
    await page.locator("#f-annual_rate").fill("6")
    await page.locator("#f-term_months").fill("12")
    await page.locator("#f-first_due").fill("2026-01-31")
    await page.get_by_role("button", name="Add loan").click()
    await expect(page.get_by_role("status")).to_have_text("Loan added. Its schedule is below.")
    await expect(page.get_by_role("heading", name="Car loan", level=1)).to_be_visible()
    schedule = page.locator(".loan-schedule tbody tr")
    await expect(schedule).to_have_count(12)
    await expect(schedule.first).to_contain_text(czk("8,606.64"))
    await expect(schedule.first).to_contain_text(czk("91,893.36"))
    await expect(schedule.last).to_contain_text(czk("0.00"))
    await expect(page.locator("#paid-count")).to_have_text("0 of 12")

    # A bad amount is refused next to its field; then the payment is booked once.
    await expect(page.locator("#f-installment")).to_have_value("1")
    await page.locator("#f-paid_on").fill("2026-01-30")
    await page.locator("#f-amount").fill("a lot")
    await page.locator("#f-account_id").select_option(label="Fio business")
    await page.get_by_role("button", name="Book payment").click()
    await expect(page.locator("#e-amount")).to_be_visible()
    await expect(page.locator("#f-paid_on")).to_have_value("2026-01-30")
    await page.locator("#f-amount").fill("8606.64")
    await page.get_by_role("button", name="Book payment").click()
    await expect(page.get_by_role("status")).to_have_text("Payment booked.")
    booked = page.locator(".loan-payments tbody tr")
    await expect(booked).to_have_count(1)
    await expect(booked.first).to_contain_text(re.compile(r"30 Jan 2026|Jan 30, 2026"))
    await expect(booked.first).to_contain_text(czk("8,606.64"))
    await expect(page.locator("#installment-1")).to_contain_text("Paid")
    await expect(page.locator("#paid-count")).to_have_text("1 of 12")
    await expect(page.locator("#f-installment")).to_have_value("2")
    await look(page, web, "money-loan")
    await on_a_phone(page, web, "money-loan-phone")

    # The payment is an expense of the account, linked to the installment.
    account_id = (await account.json())["id"]
    expenses = await page.request.get("/api/v1/transactions", params={"account_id": account_id})
    [tx] = (await expenses.json())["items"]
    assert (tx["type"], tx["amount"]) == ("expense", "8606.64")
    href = await booked.first.get_by_role("link").get_attribute("href")
    assert href == f"/transactions/{tx['id']}"

    await page.goto("/loans")
    await expect(page.locator(".money-table tbody tr", has_text="Car loan")).to_contain_text(
        czk("8,606.64")
    )
    await look(page, web, "money-loans")


async def test_a_viewer_sees_money_read_only_and_another_workspace_sees_nothing(
    page: Page, web, system
) -> None:
    owner = await system.user()
    workspace = str(owner.user["workspace_id"])
    asset = await owner.post(
        "/api/v1/assets",
        json={
            "name": "Flat",
            "kind": "property",
            "currency": "CZK",
            "value": {"valued_on": "2026-01-01", "value": "4000000"},
        },
    )
    assert asset.status_code == 201, asset.text
    asset_id = asset.json()["id"]
    loan = await owner.post(
        "/api/v1/loans",
        json={
            "name": "Mortgage",
            "principal": "3000000",
            "currency": "CZK",
            "annual_rate": "4.5",
            "term_months": 36,
            "first_due": "2026-02-01",
        },
    )
    assert loan.status_code == 201, loan.text
    loan_id = loan.json()["id"]
    viewer = await web.joined(system, owner, "viewer")
    await web.sign_in_as(page, viewer.user["email"], workspace)
    await expect(page.locator(".workspace-name")).to_have_text(
        f"Workspace of {owner.user['email']}"
    )

    for path in ("/accounts", "/assets", "/liabilities", "/loans"):
        await page.goto(path)
        await expect(page.locator("main form[method='post']")).to_have_count(0)
        await expect(page.get_by_text(re.compile("^Add an? "))).to_have_count(0)
    await page.goto(f"/assets/{asset_id}")
    await expect(page.get_by_role("heading", name="Flat", level=1)).to_be_visible()
    await expect(page.get_by_role("button", name="Record value")).to_have_count(0)
    await expect(page.get_by_role("link", name="Close this asset…")).to_have_count(0)
    await web.assert_accessible(page)
    await page.goto(f"/assets/{asset_id}/close")
    await expect(page.get_by_role("button", name="Close it")).to_have_count(0)
    await page.goto(f"/loans/{loan_id}")
    await expect(page.locator(".loan-schedule tbody tr")).to_have_count(36)
    await expect(page.get_by_role("button", name="Book payment")).to_have_count(0)
    await web.assert_accessible(page)
    await web.shot(page, "money-loan-viewer")

    # Forged: the viewer's own session with its CSRF token is refused by the API; without the
    # token the gateway refuses it first.
    headers = await csrf_headers(page)
    token = headers["X-CSRF-Token"]
    forged = await page.request.post(
        f"/assets/{asset_id}/close",
        form={"csrf_token": token, "closed_on": "2026-06-01", "reason": "forged"},
    )
    assert forged.status == 403
    paid = await page.request.post(
        f"/loans/{loan_id}/payments",
        form={"csrf_token": token, "installment": "1", "paid_on": "2026-02-01"},
    )
    assert paid.status == 403
    added = await page.request.post(
        "/assets", form={"csrf_token": token, "name": "Forged", "currency": "CZK"}
    )
    assert added.status == 403
    no_token = await page.request.post(
        f"/assets/{asset_id}/close", form={"closed_on": "2026-06-01", "reason": "forged"}
    )
    assert no_token.status == 403
    still = (await owner.get(f"/api/v1/assets/{asset_id}")).json()
    assert still["closed_on"] is None
    assert [a["name"] for a in (await owner.get("/api/v1/assets")).json()] == ["Flat"]
    schedule = (await owner.get(f"/api/v1/loans/{loan_id}/schedule")).json()
    assert schedule["installments"][0]["transaction_id"] is None

    # Someone of another workspace gets the 404 page.
    await web.sign_out(page)
    await web.sign_up(page, name="Petr Novák", workspace="Novák s.r.o.")
    for path in (f"/assets/{asset_id}", f"/liabilities/{asset_id}", f"/loans/{loan_id}"):
        response = await page.goto(path)
        assert response is not None and response.status == 404, path
        await expect(page.locator("h1")).to_have_text("Page not found")
    await web.assert_accessible(page)
