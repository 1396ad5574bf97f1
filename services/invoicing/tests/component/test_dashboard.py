"""The dashboard: hours, unbilled, invoiced, paid, outstanding and overdue, per currency."""

import uuid
from datetime import UTC, date, datetime

from kasa_contracts import Actor, Envelope
from kasa_contracts.events.ledger import PaymentMatched
from kasa_invoicing.main import PAYMENTS
from kasa_servicekit.consumers import handle_event
from kasa_servicekit.events import EventWriter
from kasa_servicekit.ids import new_id


def client_with_project(api, name, currency, rate):
    client = api.ok(
        "POST",
        "/api/v1/clients",
        201,
        json={"name": name, "currency": currency, "hourly_rate": rate},
    )
    project = api.ok(
        "POST", "/api/v1/projects", 201, json={"client_id": client["id"], "name": name}
    )
    return client["id"], project["id"]


def invoice(api, client_id, entries, day):
    created = api.ok(
        "POST", "/api/v1/invoices", 201, json={"client_id": client_id, "work_entry_ids": entries}
    )
    return api.ok("POST", f"/api/v1/invoices/{created['id']}/issue", json={"issue_date": day})


async def test_money_stays_in_its_currency(service, owner):
    owner.setup_work()  # the supplier profile
    czk, czk_project = client_with_project(owner, "Acme", "CZK", "1000")
    eur, eur_project = client_with_project(owner, "Euro GmbH", "EUR", "50")
    a = owner.add_entry(czk_project, "2026-01-10", minutes=120)
    b = owner.add_entry(czk_project, "2026-02-10", minutes=90)
    owner.add_entry(czk_project, "2026-02-11", minutes=30)  # unbilled: 500 CZK
    owner.add_entry(czk_project, "2026-02-12", minutes=60, billable=False)
    c = owner.add_entry(eur_project, "2026-02-15", minutes=60)
    owner.add_entry(eur_project, "2026-02-16", fixed_amount="200")  # unbilled: 200 EUR
    # Both are past their due dates (2026-02-14 and 2026-03-14) whenever this runs.
    first = invoice(owner, czk, [a["id"]], "2026-01-31")  # 2000 CZK
    invoice(owner, czk, [b["id"]], "2026-02-28")  # 1500 CZK
    euro = invoice(owner, eur, [c["id"]], "2026-02-28")  # 50 EUR

    payment = PaymentMatched(
        match_id=uuid.uuid4(),
        invoice_id=uuid.UUID(euro["id"]),
        transaction_id=uuid.uuid4(),
        amount="50",
        currency="EUR",
        paid_on=date(2026, 3, 2),
        reason="variable_symbol",
    )
    db = service.database()
    await handle_event(
        db,
        PAYMENTS,
        Envelope[PaymentMatched](
            event_id=new_id(),
            event_type=payment.event_type,
            event_version=1,
            occurred_at=datetime.now(UTC),
            producer="ledger",
            workspace_id=owner.workspace_id,
            actor=Actor(type="system", id="ledger"),
            payload=payment,
        ),
        EventWriter("invoicing"),
    )
    await db.dispose()

    board = owner.ok("GET", "/api/v1/dashboard", params={"from": "2026-01-01", "to": "2026-03-31"})
    assert board["hours"] == {"tracked": "6", "billable": "5"}
    assert [m["month"] for m in board["hours_trend"]] == ["2026-01", "2026-02", "2026-03"]
    assert board["hours_trend"][1] == {"month": "2026-02", "tracked": "4", "billable": "3"}
    by_currency = {c["currency"]: c for c in board["currencies"]}
    assert set(by_currency) == {"CZK", "EUR"}
    crowns, euros = by_currency["CZK"], by_currency["EUR"]
    assert (crowns["unbilled"], crowns["invoiced"], crowns["paid"]) == ("500.00", "3500.00", "0.00")
    assert crowns["outstanding"] == {"count": 2, "amount": "3500.00"}
    assert crowns["overdue"] == {"count": 2, "amount": "3500.00"}
    assert [(m["month"], m["invoiced"]) for m in crowns["trend"]] == [
        ("2026-01", "2000.00"),
        ("2026-02", "1500.00"),
        ("2026-03", "0.00"),
    ]
    assert crowns["top_clients"] == [{"client_id": czk, "name": "Acme", "invoiced": "3500.00"}]
    assert (euros["unbilled"], euros["invoiced"], euros["paid"]) == ("200.00", "50.00", "50.00")
    assert euros["outstanding"] == {"count": 0, "amount": "0.00"}
    assert euros["trend"][2] == {"month": "2026-03", "invoiced": "0.00", "paid": "50.00"}
    assert first["status"] == "issued"

    stranger = service.member()
    assert stranger.ok("GET", "/api/v1/dashboard")["currencies"] == []
    assert (
        owner.get(
            "/api/v1/dashboard", params={"from": "2026-02-01", "to": "2026-01-01"}
        ).status_code
        == 422
    )
