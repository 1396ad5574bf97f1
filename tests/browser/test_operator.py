"""The operator pages: an instance operator sees what ``kasa status`` shows, finds a parked
message, reads why it was parked, and requeues it after the dry run; an ordinary user gets
the 404 page, and never a link to the pages."""

import uuid

from playwright.async_api import Page, expect

from kasa_localstack.testing import (
    RefusedTransactions,
    as_operator,
    eventually,
    imported_transaction,
    issue_invoice,
    publish_envelope,
)

QUEUE = "ledger.transactions"


async def both_themes(page: Page, web, name: str) -> None:
    """No serious axe violation in light and dark mode; a screenshot of each."""
    for scheme in ("light", "dark"):
        await page.emulate_media(color_scheme=scheme)
        await page.wait_for_timeout(500)  # let Pico's colour transitions settle before axe looks
        await web.assert_accessible(page)
        await web.shot(page, f"{name}-{scheme}")
    await page.emulate_media(color_scheme="light")


async def test_an_operator_requeues_a_parked_message_after_the_dry_run(
    page: Page, web, system
) -> None:
    operator = await as_operator(system.stack, await system.user())
    workspace = str(operator.user["workspace_id"])
    tag = uuid.uuid4().hex[:8]
    bug = await RefusedTransactions(system.database_urls["ledger"], f"web-{tag}").start()
    envelope = imported_transaction(workspace, f"web-{tag}")
    await publish_envelope(
        system.broker_url("integrations"), system.broker_user("integrations"), envelope
    )

    await web.sign_in_as(page, operator.user["email"])
    await page.get_by_role("contentinfo").get_by_role("link", name="Operator").click()
    await expect(page.get_by_role("heading", name="Instance status")).to_be_visible()
    await web.shot(page, "operator-status-first")
    await expect(page.locator("#services-ready")).to_have_text("5 / 5", timeout=60_000)
    await expect(page.locator("#broker-state")).to_have_text("reachable")
    for service in ("gateway", "integrations", "ledger", "invoicing", "audit"):
        await expect(page.locator(f"tr[data-service='{service}']")).to_contain_text("ready")
    # The overview asks again by itself: the parked message appears without a reload.
    parked_link = page.locator(f"tr[data-queue='{QUEUE}'] a.operator-alert")
    await expect(parked_link).to_be_visible(timeout=60_000)
    await both_themes(page, web, "operator-status")
    await page.set_viewport_size({"width": 360, "height": 800})
    await web.shot(page, "operator-status-360")
    await page.set_viewport_size({"width": 1280, "height": 900})

    await page.get_by_role("link", name="Parked messages", exact=True).click()
    await expect(page.get_by_role("heading", name="Parked messages", exact=True)).to_be_visible()
    await both_themes(page, web, "operator-parked")
    await page.get_by_role("link", name=QUEUE, exact=True).click()
    row = page.locator(f"tr[data-message-id='{envelope['event_id']}']")
    await expect(row).to_contain_text("integrations.transaction.imported.v1")
    await expect(row).to_contain_text("refused for the test")
    await both_themes(page, web, "operator-queue")

    await row.get_by_role("link", name=envelope["event_id"]).click()
    await expect(page.get_by_role("heading", name="Parked message")).to_be_visible()
    await expect(page.locator(".operator-why")).to_contain_text("refused for the test")
    await expect(page.locator(".operator-body")).to_contain_text(f"web-{tag}")
    await expect(page.locator(".operator-headers")).to_contain_text("x-attempt")
    await both_themes(page, web, "operator-message")

    # The fix, then the requeue: first the dry run says what would happen, nothing changes.
    await bug.fix()
    await page.get_by_role("button", name="Requeue…").click()
    await expect(page.locator("#plan")).to_contain_text("1 message would go back to its queue")
    await expect(page.locator(f"tr[data-message-id='{envelope['event_id']}']")).to_be_visible()
    await both_themes(page, web, "operator-confirm-requeue")
    assert await operator.count("/api/v1/transactions") == 0
    confirm = page.get_by_role("button", name="Requeue 1 message")
    await confirm.focus()
    await page.keyboard.press("Enter")
    await expect(page.get_by_role("status")).to_contain_text("Sent 1 message back to the queue.")
    await expect(page.locator(f"tr[data-message-id='{envelope['event_id']}']")).to_have_count(0)

    # Applied once the fix is in: the transaction is booked.
    [booked] = await eventually(
        lambda: operator.all_items("/api/v1/transactions"),
        lambda items: len(items) >= 1,
        what="the requeued message applied",
    )
    assert booked["external_id"] == f"web-{tag}"


async def test_a_discard_shows_what_it_would_drop_first(page: Page, web, system) -> None:
    operator = await as_operator(system.stack, await system.user())
    tag = uuid.uuid4().hex[:8]
    bug = await RefusedTransactions(system.database_urls["ledger"], f"drop-{tag}").start()
    envelope = imported_transaction(str(operator.user["workspace_id"]), f"drop-{tag}")
    await publish_envelope(
        system.broker_url("integrations"), system.broker_user("integrations"), envelope
    )
    await web.sign_in_as(page, operator.user["email"])
    message = f"/operator/parked/{QUEUE}/messages/{envelope['event_id']}"

    async def parked() -> bool:
        answer = await operator.get(
            f"/api/v1/operator/queues/{QUEUE}/parked/{envelope['event_id']}"
        )
        return answer.status_code == 200

    await eventually(parked, bool, timeout=60, what="the message parked")
    await page.goto(message)
    await page.get_by_role("button", name="Discard…").click()
    await expect(page.locator("#plan")).to_contain_text("1 message would be dropped for good")
    await both_themes(page, web, "operator-confirm-discard")
    await page.get_by_role("button", name="Discard 1 message").click()
    await expect(page.get_by_role("status")).to_contain_text("Dropped 1 message for good.")
    await bug.fix()
    answer = await page.goto(message)
    assert answer is not None and answer.status == 404


async def test_an_ordinary_user_gets_the_404_page_and_no_link(page: Page, web, system) -> None:
    user = await system.user()
    await web.sign_in_as(page, user.user["email"])
    await expect(
        page.get_by_role("contentinfo").get_by_role("link", name="Operator")
    ).to_have_count(0)
    for path in ("/operator", "/operator/parked", f"/operator/parked/{QUEUE}"):
        answer = await page.goto(path)
        assert answer is not None and answer.status == 404, path
        await expect(page.locator("h1")).to_have_text("Page not found")
    await web.shot(page, "operator-as-ordinary-user")
    # POSTs made outside the page: the gateway wants the CSRF token; with it, the page is
    # still not there for someone who is no operator.
    action = f"/operator/parked/{QUEUE}/requeue"
    forged = await page.request.post(action, form={"message_id": str(uuid.uuid4())})
    assert forged.status == 403
    token = await page.locator("input[name=csrf_token]").first.get_attribute("value")
    assert token
    with_token = await page.request.post(
        action, form={"csrf_token": token, "message_id": str(uuid.uuid4())}
    )
    assert with_token.status == 404


async def test_an_operator_sends_parked_mail_again_and_drops_some(page: Page, web, system) -> None:
    operator = await as_operator(system.stack, await system.user())
    sender = await system.user()
    again, gone = (f"{label}-{uuid.uuid4().hex[:8]}@example.com" for label in ("again", "gone"))
    system.mail.refusing = True
    try:
        for email in (again, gone):
            invoice = await issue_invoice(sender)
            sent = await sender.post(f"/api/v1/invoices/{invoice['id']}/send", json={"to": email})
            assert sent.status_code == 202, sent.text

        async def parked() -> int:
            listed = (await operator.get("/api/v1/operator/mail")).json()
            items = listed["invoicing"]["items"]
            return sum(m["recipient"] in (again, gone) for m in items)

        await eventually(parked, lambda n: n == 2, what="both mails parked")
    finally:
        system.mail.refusing = False

    await web.sign_in_as(page, operator.user["email"])
    await page.goto("/operator/mail")
    section = page.locator("section[data-service='invoicing']")
    row = section.locator("tr").filter(has_text=again)
    await expect(row).to_contain_text("550")
    await both_themes(page, web, "operator-mail")
    await row.get_by_role("button", name=f"Send the mail to {again} again").click()
    await expect(page.locator(".notice")).to_contain_text("1 mail goes out again")
    await system.mail.wait_for(1, address=again)

    await section.locator("tr").filter(has_text=gone).get_by_role("link", name="Drop").click()
    await expect(page.get_by_role("heading", level=1)).to_contain_text("Drop parked mail")
    await web.assert_accessible(page)
    await page.get_by_role("button", name="Drop 1 mail").click()
    await expect(page.locator(".notice")).to_contain_text("1 mail was dropped")
    await expect(section.locator("tr").filter(has_text=gone)).to_have_count(0)
    assert system.mail.to(gone) == []
