"""A bookkeeper's month-end in the browser, on the real stack: a camt.053 statement uploaded,
suggestions decided, a partial payment matched by hand, a mistyped entry corrected and found in
the audit trail, and the month's cash flow exported with the report's totals."""

import asyncio
import csv
import io
import re
from datetime import date
from decimal import Decimal
from urllib.parse import urlsplit

from playwright.async_api import Page, expect

from kasa_localstack.testing import KasaClient, issue_invoice

ACCOUNT = "CZ6508000000192000145399"


def entry(ref: str, amount: str, direction: str, day: str, message: str, party: str) -> str:
    side = "Dbtr" if direction == "CRDT" else "Cdtr"
    return f"""
      <Ntry>
        <Amt Ccy="CZK">{amount}</Amt>
        <CdtDbtInd>{direction}</CdtDbtInd>
        <Sts>BOOK</Sts>
        <BookgDt><Dt>{day}</Dt></BookgDt>
        <ValDt><Dt>{day}</Dt></ValDt>
        <AcctSvcrRef>{ref}</AcctSvcrRef>
        <NtryDtls><TxDtls>
          <RltdPties><{side}><Nm>{party}</Nm></{side}></RltdPties>
          <RmtInf><Ustrd>{message}</Ustrd></RmtInf>
        </TxDtls></NtryDtls>
      </Ntry>"""


def statement(day: str, entries: list[str]) -> bytes:
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02">
  <BkToCstmrStmt>
    <GrpHdr><MsgId>STMT-MONTH-END</MsgId><CreDtTm>{day}T06:00:00</CreDtTm></GrpHdr>
    <Stmt>
      <Id>STMT-MONTH-END-1</Id>
      <CreDtTm>{day}T06:00:00</CreDtTm>
      <Acct><Id><IBAN>{ACCOUNT}</IBAN></Id><Ccy>CZK</Ccy></Acct>{"".join(entries)}
    </Stmt>
  </BkToCstmrStmt>
</Document>""".encode()


def amount(text: str) -> Decimal:
    return Decimal(re.sub(r"[^0-9.\-]", "", text))


async def known_to_the_ledger(owner: KasaClient, *numbers: str) -> None:
    for _ in range(120):
        answer = await owner.get("/api/v1/matches/open-invoices", params={"limit": 100})
        if set(numbers) <= {i["number"] for i in answer.json()["items"]}:
            return
        await asyncio.sleep(0.5)
    raise AssertionError(f"the ledger never learned of {numbers}")


async def decide(page: Page, button) -> None:
    """Press Accept or Reject and wait for the queue to come back with the outcome."""
    async with page.expect_navigation():
        await button.click()


async def invoice_shows(page: Page, invoice_id: str, status: str) -> None:
    shown = page.locator("#invoice-status .status-value[data-status]")
    for _ in range(60):
        await page.goto(f"/invoices/{invoice_id}")
        if await shown.get_attribute("data-status") == status:
            return
        await asyncio.sleep(0.5)
    await expect(shown).to_have_attribute("data-status", status)


async def test_a_bookkeepers_month_end(page: Page, web, system) -> None:
    owner = await system.user()
    big = await issue_invoice(owner, minutes=600)  # 12,100 CZK
    second = await issue_invoice(owner, minutes=300)  # 6,050 CZK
    third = await issue_invoice(owner, minutes=300)  # 6,050 CZK
    await known_to_the_ledger(owner, big["number"], second["number"], third["number"])
    today = date.today().isoformat()
    upload = statement(
        today,
        [
            # Names two invoices: the ledger asks which (one suggestion is wrong).
            entry("ME-1", "12100.00", "CRDT", today, f"{big['number']} {second['number']}", "Acme"),
            # Names two invoices of the same amount: the ledger asks again.
            entry(
                "ME-2", "6050.00", "CRDT", today, f"{second['number']} {third['number']}", "Acme"
            ),
            # A part of the third invoice, and later the rest: matched by hand.
            entry("ME-3", "4000.00", "CRDT", today, "advance", "Acme"),
            entry("ME-4", "2050.00", "CRDT", today, "the rest", "Acme"),
            entry("ME-5", "1500.00", "DBIT", today, "office rent", "Landlord"),
        ],
    )

    await web.sign_in_as(page, owner.user["email"])
    # 1. The statement through the upload form.
    await page.goto("/bank/camt053")
    await page.locator("#f-file").set_input_files(
        files=[{"name": "statement.xml", "mimeType": "text/xml", "buffer": upload}]
    )
    await page.get_by_role("button", name="Upload and import").click()
    await expect(page.locator("#sync-live")).to_have_attribute(
        "data-status", "completed", timeout=30_000
    )
    await expect(page.locator("#count-created")).to_have_text("5")

    # 2. Reject the wrong suggestion, accept two.
    await page.goto("/matching")
    cards = page.locator(".match-card")
    await expect(cards).to_have_count(2, timeout=30_000)
    first_card = cards.filter(has_text="12,100.00")
    await decide(
        page,
        first_card.locator(".match-invoice")
        .filter(has_text=second["number"])
        .get_by_role("button", name="Reject"),
    )
    await expect(page.get_by_role("status")).to_contain_text("will not be suggested again")
    await decide(
        page,
        first_card.locator(".match-invoice")
        .filter(has_text=big["number"])
        .get_by_role("button", name="Accept"),
    )
    await expect(page.get_by_role("status")).to_contain_text("Matched")
    second_card = page.locator(".match-card").filter(has_text="6,050.00", has_not_text="12,100.00")
    await decide(
        page,
        second_card.locator(".match-invoice")
        .filter(has_text=second["number"])
        .get_by_role("button", name="Accept"),
    )
    await expect(page.get_by_role("status")).to_contain_text("Matched")
    await web.assert_accessible(page)
    await invoice_shows(page, big["id"], "paid")
    await invoice_shows(page, second["id"], "paid")

    # 3. A partial payment by hand: partly paid, then paid with the rest.
    for message, status in (("advance", "partially_paid"), ("the rest", "paid")):
        await page.goto("/matching")
        unmatched = page.locator("section[aria-labelledby='unmatched-title']")
        await (
            unmatched.locator("li, tr")
            .filter(has_text=message)
            .get_by_role("link", name=re.compile("Match the payment"))
            .click()
        )
        await page.get_by_label("Find by number, client or amount").fill(third["number"])
        row = page.locator("#candidates tbody tr").filter(has_text=third["number"])
        await row.get_by_role("button", name=f"Match to {third['number']}").click()
        await expect(page.get_by_role("status")).to_contain_text("Matched")
        await invoice_shows(page, third["id"], status)

    # 4. A mistyped manual expense, corrected with a reason; the audit trail shows it.
    await page.goto("/transactions/new")
    await page.get_by_label("Amount").fill("990")
    await page.get_by_label("Date").fill(today)
    await page.get_by_label("Counterparty", exact=True).fill("Stationery shop")
    await page.get_by_label("Message").fill("paper")
    await page.locator("form.tx-new-form select[name=type]").select_option("expense")
    await page.get_by_role("button", name="Book the transaction").click()
    await expect(page.get_by_role("status")).to_have_text("Transaction booked.")
    transaction_id = urlsplit(page.url).path.rstrip("/").split("/")[-1]
    await page.get_by_role("button", name="Correct the amount").click()
    await page.get_by_label("Correct amount (CZK)").fill("99")
    await page.get_by_label("Reason").fill("Typed 990 instead of 99")
    await page.get_by_role("button", name="Book the correction").click()
    await expect(page.get_by_role("status")).to_contain_text("Correction booked")
    await page.goto(f"/audit?entity_type=transaction&entity_id={transaction_id}")
    corrected = page.locator("tbody tr").filter(has_text="corrected")
    for _ in range(60):
        if await corrected.count():
            break
        await asyncio.sleep(0.5)
        await page.reload()
    await expect(corrected.first).to_be_visible()
    await corrected.first.get_by_role("link").first.click()
    await expect(page.locator("main")).to_contain_text("990")
    await expect(page.locator("main")).to_contain_text("99")
    await web.assert_accessible(page)
    await web.shot(page, "month-end-audit-correction")

    # 5. The month's cash flow as CSV: its totals are the report's.
    await page.goto("/reports?period=this_month")
    totals = page.locator("[data-total=inflow]").first
    await expect(totals).to_be_visible()
    async with page.expect_download() as info:
        await page.get_by_role("link", name="Download per month as CSV (CZK)").click()
    done = await info.value
    rows = list(csv.DictReader(io.StringIO((await done.path()).read_text(encoding="utf-8"))))
    for column in ("inflow", "outflow", "net"):
        shown = amount(await page.locator(f"[data-total={column}]").first.inner_text())
        assert sum(Decimal(r[column]) for r in rows) == shown, column
    inflow = sum(Decimal(r["inflow"]) for r in rows)
    assert inflow >= Decimal("24200.00"), "the four payments are this month's income"
    await web.shot(page, "month-end-cash-flow")
