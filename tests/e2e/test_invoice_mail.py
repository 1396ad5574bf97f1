"""Invoices mailed to clients and overdue reminders, delivered to a real SMTP server."""

import asyncio
import io
import uuid
from datetime import UTC, date, datetime, timedelta

import httpx
import pytest
import pytest_asyncio
import zxingcpp
from PIL import Image
from pypdf import PdfReader

from kasa_localstack.testing import KasaClient, eventually, free_port, verified

pytestmark = [pytest.mark.e2e, pytest.mark.asyncio(loop_scope="session")]

IBAN = "CZ6508000000192000145399"
OTHER_IBAN = "CZ5508000000001234567899"


async def call(user: KasaClient, method: str, path: str, status: int = 200, **kwargs):
    headers = {**user.headers, **kwargs.pop("headers", {})}
    response = await user.http.request(method, path, headers=headers, **kwargs)
    assert response.status_code == status, response.text
    return response.json() if "json" in response.headers.get("content-type", "") else response


async def issued_invoice(
    user: KasaClient, email: str | None, *, issue_date: str = "2026-03-31", language: str = "cs"
) -> dict:
    await call(user, "PUT", "/api/v1/supplier", json={"name": "Studio Nováková", "iban": IBAN})
    client = await call(
        user,
        "POST",
        "/api/v1/clients",
        201,
        json={"name": "Acme s.r.o.", "language": language, "hourly_rate": "1000", "email": email},
    )
    draft = await call(
        user,
        "POST",
        "/api/v1/invoices",
        201,
        json={
            "client_id": client["id"],
            "extra_lines": [{"description": "Consulting", "quantity": "2", "unit_price": "1500"}],
        },
        headers={"Idempotency-Key": str(uuid.uuid4())},
    )
    return await call(
        user, "POST", f"/api/v1/invoices/{draft['id']}/issue", json={"issue_date": issue_date}
    )


def decoded_qr(png: bytes) -> str:
    [found] = zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))
    return found.text


async def test_an_invoice_mail_carries_its_pdf_portal_link_and_a_qr_code_that_pays_it(system):
    user = await system.user()
    client_email = f"client-{uuid.uuid4().hex[:8]}@example.com"
    copy = f"me-{uuid.uuid4().hex[:8]}@example.com"
    invoice = await issued_invoice(user, client_email)

    preview = await call(user, "GET", f"/api/v1/invoices/{invoice['id']}/mail-preview")
    assert preview["to"] == client_email
    assert preview["subject"] == f"Faktura {invoice['number']} od Studio Nováková"

    sent = await call(
        user,
        "POST",
        f"/api/v1/invoices/{invoice['id']}/send",
        202,
        json={"copy_to": copy, "note": "Díky za spolupráci!"},
    )
    assert (sent["to"], sent["cc"], sent["status"]) == (client_email, [copy], "queued")
    [message] = await system.mail.wait_for(1, address=client_email)
    assert system.mail.recipients[system.mail.messages.index(message)] == [client_email, copy]
    assert message["Subject"] == preview["subject"]
    assert message["Message-ID"] == sent["message_id"]

    text = message.get_body(("plain",)).get_content()
    assert invoice["number"] in text and invoice["variable_symbol"] in text
    assert "Díky za spolupráci!" in text
    assert f"{system.gateway}/portal/" in text
    portal = text.split(f"{system.gateway}/portal/")[1].split()[0]
    async with httpx.AsyncClient(base_url=system.gateway) as anonymous:
        assert (await anonymous.get(f"/portal/{portal}")).status_code == 200

    [pdf] = [
        part for part in message.iter_attachments() if part.get_content_type() == "application/pdf"
    ]
    pages = PdfReader(io.BytesIO(pdf.get_content())).pages
    assert invoice["number"] in "".join(page.extract_text() for page in pages)

    html = message.get_body(("html",))
    assert 'src="cid:payment-qr"' in html.get_content()
    [qr] = [part for part in message.walk() if part["Content-ID"] == "<payment-qr>"]
    api_qr = await call(user, "GET", f"/api/v1/invoices/{invoice['id']}/payment-qr?format=png")
    assert decoded_qr(qr.get_content()) == decoded_qr(api_qr.content)
    assert decoded_qr(qr.get_content()).startswith("SPD*1.0*ACC:" + IBAN)

    async def sends() -> list[dict]:
        return await call(user, "GET", f"/api/v1/invoices/{invoice['id']}/sends")

    [recorded] = await eventually(sends, lambda s: s and s[0]["status"] == "sent", what="sent")
    assert recorded["message_id"] == sent["message_id"] and recorded["sent_at"]

    async def audit() -> set[str]:
        trail = await call(user, "GET", "/api/v1/audit-events", params={"entity_id": invoice["id"]})
        return {item["event_type"] for item in trail["items"]}

    await eventually(audit, lambda types: "invoicing.invoice.sent" in types, what="audited")


async def test_a_draft_or_an_invoice_without_address_is_refused_with_a_problem(system):
    user = await system.user()
    invoice = await issued_invoice(user, None)
    refused = await user.post(f"/api/v1/invoices/{invoice['id']}/send", json={})
    assert refused.status_code == 422
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert "no email" in refused.json()["detail"]


async def test_an_account_mails_no_client_until_its_address_is_verified(system):
    user = await system.user(verified=False)
    email = f"early-{uuid.uuid4().hex[:8]}@example.com"
    invoice = await issued_invoice(user, email)
    refused = await user.post(f"/api/v1/invoices/{invoice['id']}/send", json={})
    assert refused.status_code == 403, refused.text
    assert refused.json()["reason"] == "email_unverified"
    await verified(user, system.mail)
    await call(user, "POST", f"/api/v1/invoices/{invoice['id']}/send", 202, json={})
    await system.mail.wait_for(1, address=email)
    assert len(system.mail.to(email)) == 1, "the refused send left nothing queued"


async def test_mail_sent_while_the_smtp_server_is_down_is_delivered_once_it_is_back(system):
    user = await system.user()
    addresses = [f"down-{i}-{uuid.uuid4().hex[:6]}@example.com" for i in range(3)]
    invoices = [await issued_invoice(user, email) for email in addresses]
    system.mail.stop()
    try:
        for invoice in invoices:
            await call(user, "POST", f"/api/v1/invoices/{invoice['id']}/send", 202, json={})
        await asyncio.sleep(2)  # the relay tries, fails and backs off
    finally:
        system.mail.start()
    for email in addresses:
        await system.mail.wait_for(1, address=email)
    await asyncio.sleep(2)  # a second delivery would come now
    assert [len(system.mail.to(email)) for email in addresses] == [1, 1, 1]


async def test_mail_refused_for_good_is_parked_and_kasa_mail_lists_and_retries_it(system):
    user = await system.user()
    email = f"refused-{uuid.uuid4().hex[:8]}@example.com"
    invoice = await issued_invoice(user, email)
    system.mail.refusing = True
    try:
        await call(user, "POST", f"/api/v1/invoices/{invoice['id']}/send", 202, json={})

        async def parked() -> list[dict]:
            return (await system.kasa("mail", "list", "--service", "invoicing"))["invoicing"][
                "items"
            ]

        found = await eventually(
            parked, lambda items: any(m["recipient"] == email for m in items), what="parked"
        )
    finally:
        system.mail.refusing = False
    [mine] = [m for m in found if m["recipient"] == email]
    assert "550" in mine["last_error"]
    one = ("--service", "invoicing", "--id", mine["id"])
    dry = await system.kasa("mail", "retry", *one, "--dry-run")
    assert dry == {"invoicing": {"dry_run": True, "would_retry": 1}}
    assert system.mail.to(email) == []
    retried = await system.kasa("mail", "retry", *one)
    assert retried == {"invoicing": {"retried": 1}}
    await system.mail.wait_for(1, address=email)


async def test_replaying_the_days_events_into_every_service_sends_no_mail(system):
    # The workspace is made now, so its whole day is this window; reading the archive from
    # midnight would also read every other test's events.
    since = (datetime.now(UTC) - timedelta(seconds=2)).isoformat()
    user = await system.user()
    email = f"replay-{uuid.uuid4().hex[:8]}@example.com"
    invoice = await issued_invoice(user, email)
    await call(user, "POST", f"/api/v1/invoices/{invoice['id']}/send", 202, json={})
    # A replaced payout IBAN: a security notice the gateway mails to the owner (ADR 0025).
    await call(user, "PUT", "/api/v1/supplier", json={"name": "Studio", "iban": OTHER_IBAN})
    asked = await user.http.post("/api/v1/auth/password-reset", json={"email": user.user["email"]})
    assert asked.status_code == 202
    notice = "security_notice.payout_iban"
    await system.mail.wait_for(1, address=user.user["email"], kind=notice)
    await system.mail.wait_for(1, address=email)
    await system.mail.wait_for(1, address=user.user["email"], kind="password_reset")
    before = len(system.mail.messages)
    workspace = user.user["workspace_id"]
    reports = {}
    # Every service with queues to replay into (the gateway's push queues are per instance and
    # not replayed; its notices queue is).
    for service in ("gateway", "integrations", "ledger", "invoicing", "audit"):
        window = ("--since", since, "--workspace", workspace, "--idle", "2")
        reports[service] = await system.kasa("replay", "--service", service, *window)
    # Every event of the workspace's day went round again.
    assert reports["audit"]["matched"] >= 5, reports
    await asyncio.sleep(3)  # any mail a replay caused would be on its way now
    assert len(system.mail.messages) == before
    assert len(system.mail.to(email)) == 1
    assert len(system.mail.to(user.user["email"], "password_reset")) == 1
    assert len(system.mail.to(user.user["email"], notice)) == 1


@pytest_asyncio.fixture(loop_scope="session")
async def second_invoicing(system):
    """Another replica of invoicing on the same database and broker."""
    process = system.stack.replica("invoicing", "reminders-2", free_port())
    process.start()
    try:
        await process.wait_ready()
        yield process
    finally:
        process.stop()


async def run_both(system, second, as_of: date) -> list[int]:
    headers = {"Authorization": f"Bearer {system.ops_token}"}
    urls = [system.ops_url("invoicing"), second.ops_url]

    async def run(url: str) -> int:
        async with httpx.AsyncClient(base_url=url, headers=headers, timeout=60) as ops:
            answer = await ops.post("/ops/reminders/run", json={"as_of": as_of.isoformat()})
            assert answer.status_code == 200, answer.text
            return int(answer.json()["queued"])

    return list(await asyncio.gather(*(run(url) for url in urls)))


async def test_two_replicas_send_each_overdue_reminder_exactly_once(system, second_invoicing):
    user = await system.user()
    email = f"late-{uuid.uuid4().hex[:8]}@example.com"
    paid_email = f"paid-{uuid.uuid4().hex[:8]}@example.com"
    late = await issued_invoice(user, email, language="en")
    due = date.fromisoformat(late["due_date"])
    other = await system.user()
    await call(other, "PUT", "/api/v1/reminders/settings", json={"enabled": False, "days": [3]})
    quiet = f"quiet-{uuid.uuid4().hex[:8]}@example.com"
    await issued_invoice(other, quiet)
    cancelled = await issued_invoice(user, paid_email)
    await call(user, "POST", f"/api/v1/invoices/{cancelled['id']}/cancel")

    await run_both(system, second_invoicing, due + timedelta(days=2))
    await asyncio.sleep(1)
    assert system.mail.to(email) == [], "no reminder before its day"
    await run_both(system, second_invoicing, due + timedelta(days=4))
    await run_both(system, second_invoicing, due + timedelta(days=4))
    [first] = await system.mail.wait_for(1, address=email)
    assert first["Subject"].startswith("Reminder: invoice " + late["number"])
    # A pass as of two weeks late catches up the 14-day reminder once, the 3-day one never again.
    await run_both(system, second_invoicing, due + timedelta(days=30))
    await run_both(system, second_invoicing, due + timedelta(days=31))
    await system.mail.wait_for(2, address=email)
    await asyncio.sleep(1)
    assert len(system.mail.to(email)) == 2
    assert system.mail.to(quiet) == [] and system.mail.to(paid_email) == []
    sends = await call(user, "GET", f"/api/v1/invoices/{late['id']}/sends")
    assert sorted(s["reminder_day"] for s in sends if s["kind"] == "reminder") == [3, 14]
