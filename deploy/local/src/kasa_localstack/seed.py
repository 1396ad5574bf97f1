"""Demo data through the public API: a studio that bills its work and gets paid.

The demo workspace gets a supplier profile, a client, a project, three invoices built from
tracked work and issued, and then a bank sync whose incoming payments carry those invoices'
variable symbols, so the ledger matches them and the invoices turn paid.
"""

import time
from collections.abc import Callable
from datetime import date, timedelta
from email.message import EmailMessage
from typing import Any

import httpx

from kasa_localstack.mail_sink import link_token

DEMO_EMAIL = "demo@example.com"
DEMO_PASSWORD = "kasa-demo-password"  # noqa: S105 - the documented demo login
DEMO_SYNC_COUNT = 250
# Hours of the three demo invoices at 1,000 CZK an hour plus 21 % VAT: 12,100, 36,300 and
# 4,840 CZK, the amounts the demo bank pays with variable symbols 20260001…20260003.
INVOICED_HOURS = (10, 30, 4)


def _ok(response: httpx.Response) -> Any:
    response.raise_for_status()
    return response.json() if response.content else None


def _invoice_the_demo_work(client: httpx.Client) -> list[dict[str, str]]:
    """Issue the demo invoices; returns how the client will pay each of them."""
    _ok(
        client.put(
            "/api/v1/supplier",
            json={
                "name": "Demo Studio s.r.o.",
                "address": "Vinohradská 1, 120 00 Praha 2",
                "company_id": "12345678",
                "vat_id": "CZ12345678",
                "iban": "CZ6508000000192000145399",
                "default_currency": "CZK",
                "number_format": "{year}{seq:04d}",
                "vat_payer": True,
            },
        )
    )
    customer = _ok(
        client.post(
            "/api/v1/clients",
            json={
                "name": "Acme Consulting s.r.o.",
                "currency": "CZK",
                "language": "cs",
                "email": "accounts@acme.example.com",
            },
        )
    )
    project = _ok(
        client.post(
            "/api/v1/projects",
            json={
                "client_id": customer["id"],
                "name": "Website redesign",
                "hourly_rate": "1000.00",
            },
        )
    )
    day = date.today() - timedelta(days=40)
    payments: list[dict[str, str]] = []
    for part, hours in enumerate(INVOICED_HOURS, start=1):
        entry_ids = []
        while hours > 0:  # a working day at most per entry
            worked, hours = min(hours, 8), hours - min(hours, 8)
            day += timedelta(days=1)
            entry = _ok(
                client.post(
                    "/api/v1/work-entries",
                    json={
                        "project_id": project["id"],
                        "work_date": day.isoformat(),
                        "minutes": worked * 60,
                        "description": f"Design and build, phase {part}",
                    },
                )
            )
            entry_ids.append(entry["id"])
        invoice = _ok(
            client.post(
                "/api/v1/invoices",
                json={"client_id": customer["id"], "work_entry_ids": entry_ids, "vat_rate": "21"},
            )
        )
        issued = _ok(client.post(f"/api/v1/invoices/{invoice['id']}/issue", json={}))
        payments.append(
            {
                "variable_symbol": issued["variable_symbol"],
                "amount": issued["total"],
                "currency": issued["currency"],
                "payer": customer["name"],
            }
        )
    _ok(
        client.post(
            "/api/v1/work-entries",
            json={
                "project_id": project["id"],
                "work_date": date.today().isoformat(),
                "minutes": 90,
                "description": "Review meeting (not invoiced yet)",
            },
        )
    )
    return payments


def _verify(client: httpx.Client, inbox: Callable[[str, str], list[EmailMessage]]) -> None:
    """Open the verification link mailed to the demo user, as they would from the mail."""
    deadline = time.monotonic() + 60
    while not (found := inbox(DEMO_EMAIL, "email_verification")):
        if time.monotonic() > deadline:
            raise RuntimeError(f"no verification mail reached {DEMO_EMAIL} in 60 s")
        time.sleep(0.2)
    _ok(client.post("/api/v1/auth/verify-email", json={"token": link_token(found[0])}))


def seed(
    gateway_url: str, inbox: Callable[[str, str], list[EmailMessage]] | None = None
) -> dict[str, str]:
    """Register the demo user with their work, invoices and bank; ``inbox`` reads the mail
    delivered to an address, to open the demo user's verification link."""
    with httpx.Client(base_url=gateway_url, timeout=30) as client:
        response = client.post(
            "/api/v1/auth/register",
            json={
                "email": DEMO_EMAIL,
                "password": DEMO_PASSWORD,
                "name": "Dana Demo",
                "workspace_name": "Demo Studio s.r.o.",
            },
        )
        fresh = response.status_code == 201
        if response.status_code not in (201, 409):
            response.raise_for_status()
        if fresh and inbox is not None:
            _verify(client, inbox)
        token = _ok(
            client.post("/api/v1/auth/token", json={"email": DEMO_EMAIL, "password": DEMO_PASSWORD})
        )["access_token"]
        client.headers["Authorization"] = f"Bearer {token}"
        if fresh:
            payments = _invoice_the_demo_work(client)
            # The demo bank's incoming payments carry these invoices' variable symbols.
            _ok(
                client.put(
                    "/api/v1/plugins/demo/config",
                    json={"enabled": True, "settings": {"invoice_payments": payments}},
                )
            )
            time.sleep(2)  # let the ledger learn about the invoices before the money arrives
            sync = _ok(client.post("/api/v1/plugins/demo/syncs", json={"count": DEMO_SYNC_COUNT}))
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                state = _ok(client.get(f"/api/v1/syncs/{sync['id']}"))
                if state["status"] in ("completed", "failed", "cancelled"):
                    break
                time.sleep(0.5)
    return {"email": DEMO_EMAIL, "password": DEMO_PASSWORD, "token": token}
