"""Sending an invoice from its page: the preview of the mail, the send, and its history; and
the workspace's overdue reminders."""

import uuid

from playwright.async_api import Page, expect

IBAN = "CZ6508000000192000145399"


async def issued(system, client_email: str) -> tuple[object, dict]:
    owner = await system.user()
    assert (
        await owner.put("/api/v1/supplier", json={"name": "Studio Nováková", "iban": IBAN})
    ).status_code == 200
    client = await owner.post(
        "/api/v1/clients",
        json={"name": "Acme s.r.o.", "language": "en", "email": client_email},
    )
    draft = await owner.post(
        "/api/v1/invoices",
        json={
            "client_id": client.json()["id"],
            "extra_lines": [{"description": "Design", "quantity": "1", "unit_price": "4200"}],
        },
        headers={"Idempotency-Key": str(uuid.uuid4())},
    )
    invoice = await owner.post(
        f"/api/v1/invoices/{draft.json()['id']}/issue", json={"issue_date": "2026-11-20"}
    )
    assert invoice.status_code == 200, invoice.text
    return owner, invoice.json()


async def test_an_invoice_is_sent_from_its_page_after_a_preview(page: Page, web, system) -> None:
    client_email = f"acme-{uuid.uuid4().hex[:8]}@example.com"
    owner, invoice = await issued(system, client_email)
    await web.sign_in_as(page, owner.user["email"])
    await page.goto(f"/invoices/{invoice['id']}")
    await expect(page.locator("#invoice-sends")).to_contain_text("Not sent by mail yet")
    await page.get_by_role("button", name="Send to client").click()

    await expect(page.locator("#f-to")).to_have_value(client_email)
    await expect(page.locator("#preview-subject")).to_have_text(
        f"Invoice {invoice['number']} from Studio Nováková"
    )
    frame = page.frame_locator("iframe.mail-frame")
    await expect(frame.locator("body")).to_contain_text(invoice["variable_symbol"])
    await web.assert_accessible(page)
    await web.shot(page, "invoice-send")
    await page.emulate_media(color_scheme="dark")
    await web.assert_accessible(page)
    await web.shot(page, "invoice-send-dark")
    await page.emulate_media(color_scheme="light")

    await page.locator("#f-to").fill("not an address")
    await page.get_by_role("button", name="Send invoice").click()
    await expect(page.locator("#e-to")).to_be_visible()
    await expect(page.locator("#f-to")).to_have_value("not an address")
    await page.locator("#f-to").fill(client_email)
    await page.locator("#f-note").fill("Thank you for the project!")
    await page.get_by_role("button", name="Send invoice").click()
    await expect(page.locator(".notice")).to_contain_text("on its way")

    [mail] = await system.mail.wait_for(1, address=client_email)
    assert "Thank you for the project!" in mail.get_body(("plain",)).get_content()
    assert system.mail.to(owner.user["email"]), "the sender got a copy"
    await page.reload()
    await expect(page.locator("#invoice-sends")).to_contain_text(f"to {client_email}")
    await expect(page.locator("#invoice-sends")).to_contain_text("Delivered to the mail server")
    await web.shot(page, "invoice-sent-history")


async def test_reminders_are_turned_off_by_an_admin_and_shown_read_only_to_a_member(
    page: Page, web, system
) -> None:
    owner = await system.user()
    member = await web.joined(system, owner, "member")
    await web.sign_in_as(page, owner.user["email"])
    await page.goto("/invoices/reminders")
    await expect(page.locator("#f-day-3")).to_be_checked()
    await expect(page.locator("#f-day-14")).to_be_checked()
    await web.assert_accessible(page)
    await page.locator("#f-enabled").uncheck()
    await page.get_by_role("button", name="Save reminders").click()
    await expect(page.locator(".notice")).to_contain_text("Reminder settings saved")
    await expect(page.locator("#f-enabled")).not_to_be_checked()
    await web.shot(page, "invoice-reminders")
    await web.sign_out(page)

    await web.sign_in_as(page, member.user["email"], str(owner.user["workspace_id"]))
    await page.goto("/invoices/reminders")
    await expect(page.locator("#f-enabled")).to_be_disabled()
    await expect(page.get_by_role("button", name="Save reminders")).to_have_count(0)
    await page.emulate_media(color_scheme="dark")
    await web.assert_accessible(page)
    refused = await member.put("/api/v1/reminders/settings", json={"enabled": True, "days": [3]})
    assert refused.status_code == 403
