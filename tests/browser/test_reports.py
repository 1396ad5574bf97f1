"""Reports in a real browser: cash flow per month and per category and net worth over time,
with period pickers, and a CSV of every table whose totals equal the page's."""

import csv
import io
import re
from datetime import date, timedelta
from decimal import Decimal

from playwright.async_api import Page, expect


async def csrf_headers(page: Page) -> dict[str, str]:
    cookies = await page.context.cookies()
    return {"X-CSRF-Token": next(c["value"] for c in cookies if c["name"] == "kasa_csrf")}


def amount(text: str) -> Decimal:
    """An amount as the English page writes it (``CZK 1,200.00``, ``-CZK 5.00``)."""
    return Decimal(re.sub(r"[^0-9.\-]", "", text))


async def book(page: Page, **fields: str) -> None:
    answer = await page.request.post(
        "/api/v1/transactions", headers=await csrf_headers(page), data={"currency": "CZK", **fields}
    )
    assert answer.ok, await answer.text()


async def download(page: Page, link_name: str) -> tuple[str, list[dict[str, str]]]:
    async with page.expect_download() as info:
        await page.get_by_role("link", name=link_name).click()
    done = await info.value
    path = await done.path()
    text = path.read_text(encoding="utf-8")
    return done.suggested_filename, list(csv.DictReader(io.StringIO(text)))


async def test_the_cash_flow_and_net_worth_reports_follow_the_period_and_export_as_csv(
    page: Page, web
) -> None:
    today = date.today()
    last_month = today.replace(day=1) - timedelta(days=1)
    await web.sign_up(page)
    await page.goto("/reports")
    await expect(page.get_by_role("heading", name="Nothing to report yet")).to_be_visible()
    await web.assert_accessible(page)

    headers = await csrf_headers(page)
    cash = await page.request.post(
        "/api/v1/accounts",
        headers=headers,
        data={"name": "Cash", "kind": "cash", "currency": "CZK", "opening_balance": "1000"},
    )
    assert cash.ok, await cash.text()
    account = (await cash.json())["id"]
    await book(
        page,
        type="income",
        amount="50000",
        transacted_on=today.isoformat(),
        category="Consulting",
        account_id=account,
    )
    await book(
        page,
        type="expense",
        amount="12000.50",
        transacted_on=today.isoformat(),
        category="Rent",
        account_id=account,
    )
    await book(
        page,
        type="expense",
        amount="3000",
        transacted_on=last_month.isoformat(),
        category='=HYPERLINK("http://example.com")',
        account_id=account,
    )

    # The default period is the last 12 months: both months count.
    await page.goto("/reports")
    picker = page.get_by_role("navigation", name="Period")
    await expect(picker.get_by_role("link", name="Last 12 months")).to_have_attribute(
        "aria-current", "true"
    )
    report = page.locator("#report-CZK")
    months = report.locator(".cash-flow-months")
    await expect(months.locator("tbody tr")).to_have_count(12)
    totals = months.locator("tfoot")
    await expect(totals.locator("[data-total=inflow]")).to_have_text(re.compile("50,000.00"))
    await expect(totals.locator("[data-total=outflow]")).to_have_text(re.compile("15,000.50"))
    await expect(report.locator(".cash-flow-categories tbody tr")).to_have_count(3)
    await expect(report.locator("svg[role=img] > title").first).to_have_text(
        "Money in and out per month (CZK)"
    )
    worth = report.locator(".net-worth tbody tr")
    await expect(worth).to_have_count(12)
    await expect(worth.last).to_contain_text("35,999.50")
    await web.assert_accessible(page)
    await web.shot(page, "reports")
    await page.emulate_media(color_scheme="dark")
    await page.wait_for_timeout(600)
    await web.assert_accessible(page)
    await web.shot(page, "reports-dark")
    await page.emulate_media(color_scheme="light")

    # The CSV of each table holds the page's figures; its totals are the page's totals.
    name, rows = await download(page, "Download per month as CSV (CZK)")
    first = today.year * 12 + today.month - 1 - 11
    start = date(first // 12, first % 12 + 1, 1)
    assert name == f"cash-flow_{start.isoformat()}_{today.isoformat()}_CZK.csv"
    assert len(rows) == 12
    assert sum(Decimal(r["inflow"]) for r in rows) == amount(
        await totals.locator("[data-total=inflow]").inner_text()
    )
    assert sum(Decimal(r["outflow"]) for r in rows) == amount(
        await totals.locator("[data-total=outflow]").inner_text()
    )
    assert sum(Decimal(r["net"]) for r in rows) == amount(
        await totals.locator("[data-total=net]").inner_text()
    )
    _name, categories = await download(page, "Download per category as CSV (CZK)")
    by_name = {r["category"]: r for r in categories}
    assert by_name["Rent"]["outflow"] == "12000.50"
    # A category that would start a formula is neutralized, as in the audit export.
    assert '\'=HYPERLINK("http://example.com")' in by_name
    _name, points = await download(page, "Download net worth as CSV (CZK)")
    assert [p["as_of"] for p in points][-1] == today.isoformat()
    assert points[-1]["net_worth"] == "35999.50"

    # This month: only this month's money, one row; last month: only the older expense.
    await picker.get_by_role("link", name="This month").click()
    await expect(picker.get_by_role("link", name="This month")).to_have_attribute(
        "aria-current", "true"
    )
    await expect(months.locator("tbody tr")).to_have_count(1)
    await expect(totals.locator("[data-total=outflow]")).to_have_text(re.compile("12,000.50"))
    _name, rows = await download(page, "Download per month as CSV (CZK)")
    assert [(r["inflow"], r["outflow"]) for r in rows] == [("50000.00", "12000.50")]
    await picker.get_by_role("link", name="Last month").click()
    await expect(totals.locator("[data-total=inflow]")).to_have_text(re.compile("0.00"))
    await expect(totals.locator("[data-total=outflow]")).to_have_text(re.compile("3,000.00"))

    # A custom period by keyboard; an impossible one is refused next to its field.
    await page.locator("#f-from").fill(last_month.replace(day=1).isoformat())
    await page.locator("#f-to").fill(today.isoformat())
    await page.locator("#f-to").press("Enter")
    await expect(months.locator("tbody tr")).to_have_count(2)
    await expect(totals.locator("[data-total=outflow]")).to_have_text(re.compile("15,000.50"))
    await page.locator("#f-from").fill(today.isoformat())
    await page.locator("#f-to").fill(last_month.isoformat())
    await page.get_by_role("button", name="Show").click()
    await expect(page.locator("#e-to")).to_have_text("The end is before the start.")
    await expect(page.locator("#f-from")).to_have_value(today.isoformat())
    await web.assert_accessible(page)

    await page.set_viewport_size({"width": 360, "height": 780})
    await page.goto("/reports?period=last_12_months")
    await web.shot(page, "reports-phone")
    assert await page.evaluate("document.documentElement.scrollWidth") <= 360


async def test_a_viewer_reads_the_reports_and_downloads_them(page: Page, web, system) -> None:
    owner = await system.user()
    booked = await owner.post(
        "/api/v1/transactions",
        json={
            "type": "income",
            "amount": "700",
            "currency": "EUR",
            "transacted_on": date.today().isoformat(),
        },
    )
    assert booked.status_code == 201, booked.text
    viewer = await web.joined(system, owner, "viewer")
    await web.sign_in_as(page, viewer.user["email"], str(owner.user["workspace_id"]))
    await expect(page.locator(".workspace-name")).to_have_text(
        f"Workspace of {owner.user['email']}"
    )
    await page.goto("/reports?period=this_month")
    report = page.locator("#report-EUR")
    await expect(report.locator(".cash-flow-months tfoot [data-total=inflow]")).to_have_text(
        re.compile("700.00")
    )
    await expect(page.locator("main form[method='post']")).to_have_count(0)
    await web.assert_accessible(page)
    answer = await page.request.get("/reports/cash-flow.csv?period=this_month")
    assert answer.status == 200
    assert answer.headers["content-type"].startswith("text/csv")
    assert "EUR" in await answer.text()
    assert (await page.request.get("/reports/nothing.csv")).status == 404
