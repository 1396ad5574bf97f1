"""Invoices from unbilled work: lines, exact totals, numbering, lifecycle, idempotency."""

import uuid
from datetime import date, timedelta

from kasa_contracts.events.invoicing import (
    InvoiceCancelled,
    InvoiceDrafted,
    InvoiceDraftUpdated,
    InvoiceIssued,
)


def draft(api, client_id, status=201, **body):
    return api.ok("POST", "/api/v1/invoices", status, json={"client_id": client_id, **body})


def issue(api, invoice_id, day="2026-03-31", status=200):
    return api.ok("POST", f"/api/v1/invoices/{invoice_id}/issue", status, json={"issue_date": day})


def test_lines_per_entry_with_exact_totals_and_vat_per_rate(owner):
    client_id, project_id = owner.setup_work(rate="1234.50")
    a = owner.add_entry(project_id, "2026-03-02", minutes=50, description="Design")
    b = owner.add_entry(project_id, "2026-03-03", minutes=35, description="Review")
    c = owner.add_entry(project_id, "2026-03-04", fixed_amount="5000", description="Licence")
    invoice = draft(
        owner,
        client_id,
        work_entry_ids=[a["id"], b["id"], c["id"]],
        vat_rate="21",
        extra_lines=[
            {"description": "Travel", "quantity": "2", "unit_price": "99.995", "vat_rate": "0"}
        ],
    )
    assert invoice["status"] == "draft" and invoice["number"] is None
    assert invoice["currency"] == "CZK" and invoice["language"] == "cs"
    lines = [
        (x["quantity"], x["unit"], x["unit_price"], x["vat_rate"], x["net_amount"])
        for x in invoice["lines"]
    ]
    assert lines == [
        ("0.8333", "h", "1234.50", "21", "1028.75"),  # 50 min x 1234.50 / 60
        ("0.5833", "h", "1234.50", "21", "720.13"),  # 720.125 rounds half up
        ("1", "pcs", "5000.00", "21", "5000.00"),
        ("2", "pcs", "99.995", "0", "199.99"),
    ]
    assert invoice["vat_summary"] == [
        {"rate": "0", "base": "199.99", "vat": "0.00"},
        {"rate": "21", "base": "6748.88", "vat": "1417.26"},  # 1417.2648
    ]
    assert (invoice["subtotal"], invoice["vat_total"], invoice["total"]) == (
        "6948.87",
        "1417.26",
        "8366.13",
    )


def test_a_project_and_period_grouped_per_project_or_day(owner):
    client_id, project_id = owner.setup_work(rate="1000")
    owner.add_entry(project_id, "2026-02-27", minutes=60)  # before the period
    owner.add_entry(project_id, "2026-03-02", minutes=90)
    owner.add_entry(project_id, "2026-03-02", minutes=30)
    owner.add_entry(project_id, "2026-03-05", minutes=45)
    owner.add_entry(project_id, "2026-03-06", minutes=45, billable=False)
    period = {"project_id": project_id, "from": "2026-03-01", "to": "2026-03-31"}

    per_day = draft(owner, client_id, grouping="day", **period)
    assert [(x["quantity"], x["net_amount"]) for x in per_day["lines"]] == [
        ("2", "2000.00"),
        ("0.75", "750.00"),
    ]
    owner.ok("DELETE", f"/api/v1/invoices/{per_day['id']}", 204)

    per_project = draft(owner, client_id, grouping="project", **period)
    [line] = per_project["lines"]
    assert (line["quantity"], line["net_amount"], len(line["work_entry_ids"])) == (
        "2.75",
        "2750.00",
        3,
    )
    assert line["description"].startswith("Web (2026-03-02 - 2026-03-05)")
    # Nothing is left to invoice in that period now.
    response = owner.post("/api/v1/invoices", json={"client_id": client_id, **period})
    assert response.status_code == 422


def test_work_of_another_client_locked_or_unpriced_is_refused(service, owner):
    client_id, project_id = owner.setup_work(rate="1000")
    entry = owner.add_entry(project_id, "2026-03-02", minutes=60)
    other = owner.ok("POST", "/api/v1/clients", 201, json={"name": "No rate"})["id"]
    other_project = owner.ok(
        "POST", "/api/v1/projects", 201, json={"client_id": other, "name": "P"}
    )["id"]
    unpriced = owner.add_entry(other_project, "2026-03-02", minutes=60)

    assert (
        owner.post(
            "/api/v1/invoices", json={"client_id": other, "work_entry_ids": [entry["id"]]}
        ).status_code
        == 422
    )
    response = owner.post(
        "/api/v1/invoices", json={"client_id": other, "work_entry_ids": [unpriced["id"]]}
    )
    assert response.status_code == 422 and "hourly rate" in response.json()["detail"]
    nothing = owner.post("/api/v1/invoices", json={"client_id": client_id, "work_entry_ids": []})
    assert nothing.status_code == 422
    draft(owner, client_id, work_entry_ids=[entry["id"]])
    again = owner.post(
        "/api/v1/invoices", json={"client_id": client_id, "work_entry_ids": [entry["id"]]}
    )
    assert again.status_code == 409
    stranger = service.member()
    assert (
        stranger.post(
            "/api/v1/invoices", json={"client_id": client_id, "work_entry_ids": [entry["id"]]}
        ).status_code
        == 404
    )


def test_issuing_numbers_invoices_per_year_without_gaps(service, owner):
    client_id, project_id = owner.setup_work(rate="1000")

    def invoice_for(day):
        entry = owner.add_entry(project_id, day, minutes=60)
        return draft(owner, client_id, work_entry_ids=[entry["id"]])["id"]

    first = issue(owner, invoice_for("2026-03-01"), "2026-03-31")
    assert (first["number"], first["variable_symbol"], first["status"]) == (
        "2026-0001",
        "20260001",
        "issued",
    )
    assert (first["issue_date"], first["due_date"]) == ("2026-03-31", "2026-04-14")
    assert issue(owner, first["id"], status=409)["status"] == 409, "issued once"

    second = invoice_for("2026-03-02")
    owner.ok("POST", f"/api/v1/invoices/{first['id']}/cancel")
    assert issue(owner, second)["number"] == "2026-0002", "a cancelled invoice keeps its number"
    assert issue(owner, invoice_for("2027-01-02"), "2027-01-05")["number"] == "2027-0001"

    # Another workspace counts on its own.
    other = service.member()
    other_client, other_project = other.setup_work()
    other_entry = other.add_entry(other_project, "2026-03-01", minutes=60)
    other_invoice = draft(other, other_client, work_entry_ids=[other_entry["id"]])
    assert issue(other, other_invoice["id"])["number"] == "2026-0001"

    issued = [e.payload for e in service.events(InvoiceIssued.routing_key())]
    assert [p.number for p in issued] == ["2026-0001", "2026-0002", "2027-0001", "2026-0001"]
    assert issued[0].total == 1000 and issued[0].currency == "CZK"
    assert issued[0].client_name == "Acme s.r.o." and issued[0].variable_symbol == "20260001"
    assert issued[0].due_date == date(2026, 4, 14)
    [cancelled] = service.events(InvoiceCancelled.routing_key())
    assert cancelled.payload.number == "2026-0001"


def test_the_configured_number_format_and_client_terms_apply(owner):
    client_id, project_id = owner.setup_work(rate="1000")
    owner.ok("PUT", "/api/v1/supplier", json={"name": "J", "number_format": "FV{yy}{seq:03d}"})
    owner.ok("PATCH", f"/api/v1/clients/{client_id}", json={"payment_terms_days": 30})
    entry = owner.add_entry(project_id, "2026-03-01", minutes=60)
    invoice = issue(owner, draft(owner, client_id, work_entry_ids=[entry["id"]])["id"])
    assert (invoice["number"], invoice["variable_symbol"]) == ("FV26001", "26001")
    assert date.fromisoformat(invoice["due_date"]) - date(2026, 3, 31) == timedelta(days=30)


def test_cancelling_releases_the_work_and_overdue_is_derived(owner):
    client_id, project_id = owner.setup_work(rate="1000")
    entry = owner.add_entry(project_id, "2020-03-01", minutes=60)
    invoice = issue(
        owner, draft(owner, client_id, work_entry_ids=[entry["id"]])["id"], "2020-03-31"
    )
    assert invoice["overdue"] is True and invoice["outstanding"] == "1000.00"
    overdue = owner.ok("GET", "/api/v1/invoices", params={"overdue": "true"})["items"]
    assert [i["id"] for i in overdue] == [invoice["id"]]
    cancelled = owner.ok("POST", f"/api/v1/invoices/{invoice['id']}/cancel")
    assert cancelled["status"] == "cancelled" and cancelled["overdue"] is False
    assert owner.ok("GET", f"/api/v1/work-entries/{entry['id']}")["locked"] is False
    assert owner.post(f"/api/v1/invoices/{invoice['id']}/cancel").status_code == 409
    assert owner.delete(f"/api/v1/invoices/{invoice['id']}").status_code == 409


def test_issuing_needs_a_supplier_profile(service):
    api = service.member()
    client_id = api.ok("POST", "/api/v1/clients", 201, json={"name": "A", "hourly_rate": "10"})[
        "id"
    ]
    project_id = api.ok(
        "POST", "/api/v1/projects", 201, json={"client_id": client_id, "name": "P"}
    )["id"]
    entry = api.add_entry(project_id, "2026-03-01", minutes=60)
    invoice = draft(api, client_id, work_entry_ids=[entry["id"]])
    response = api.post(f"/api/v1/invoices/{invoice['id']}/issue")
    assert response.status_code == 409 and "supplier" in response.json()["detail"]


def test_an_idempotency_key_makes_a_retried_creation_safe(service, owner):
    client_id, project_id = owner.setup_work(rate="1000")
    entry = owner.add_entry(project_id, "2026-03-01", minutes=60)
    body = {"client_id": client_id, "work_entry_ids": [entry["id"]]}
    key = {"Idempotency-Key": str(uuid.uuid4())}
    first = owner.post("/api/v1/invoices", json=body, headers=key)
    again = owner.post("/api/v1/invoices", json=body, headers=key)
    assert first.status_code == again.status_code == 201
    assert first.json() == again.json()
    assert len(owner.ok("GET", "/api/v1/invoices")["items"]) == 1
    assert len(service.events(InvoiceDrafted.routing_key())) == 1
    other_body = owner.post("/api/v1/invoices", json={**body, "vat_rate": "21"}, headers=key)
    assert other_body.status_code == 422


def test_a_draft_line_can_take_its_own_vat_rate(service, owner):
    client_id, project_id = owner.setup_work(rate="1000")
    a = owner.add_entry(project_id, "2026-03-02", minutes=60)
    b = owner.add_entry(project_id, "2026-03-03", minutes=60)
    invoice = draft(owner, client_id, work_entry_ids=[a["id"], b["id"]], vat_rate="21")
    assert invoice["total"] == "2420.00"
    second = invoice["lines"][1]["id"]
    path = f"/api/v1/invoices/{invoice['id']}/lines/{second}"
    changed = owner.ok("PATCH", path, json={"vat_rate": "0", "description": "Reverse charge"})
    assert [x["vat_rate"] for x in changed["lines"]] == ["21", "0"]
    assert (changed["vat_total"], changed["total"]) == ("210.00", "2210.00")
    assert changed["lines"][1]["description"] == "Reverse charge"
    [event] = service.events(InvoiceDraftUpdated.routing_key())
    assert event.payload.changes["lines.2.vat_rate"].model_dump() == {
        "before": "21",
        "after": "0",
        "redacted": False,
    }
    assert (
        owner.patch(f"/api/v1/invoices/{invoice['id']}/lines/{uuid.uuid4()}", json={}).status_code
        == 404
    )
    issue(owner, invoice["id"])
    assert owner.patch(path, json={"vat_rate": "21"}).status_code == 409
    assert service.member().patch(path, json={"vat_rate": "21"}).status_code == 404


def test_the_list_filters_by_issue_date_and_its_totals_cover_every_page(service, owner):
    client_id, project_id = owner.setup_work(rate="1000")
    eur = {"name": "Euro", "currency": "EUR", "hourly_rate": "50"}
    euro = owner.ok("POST", "/api/v1/clients", 201, json=eur)
    euro_project = owner.ok(
        "POST", "/api/v1/projects", 201, json={"client_id": euro["id"], "name": "EU"}
    )
    ids = {}
    for day in ("2026-01-15", "2026-02-15", "2026-03-15"):
        entry = owner.add_entry(project_id, day, minutes=60)
        ids[day] = issue(owner, draft(owner, client_id, work_entry_ids=[entry["id"]])["id"], day)[
            "id"
        ]
    eu_entry = owner.add_entry(euro_project["id"], "2026-02-20", minutes=90)
    eu = issue(owner, draft(owner, euro["id"], work_entry_ids=[eu_entry["id"]])["id"], "2026-02-20")
    owner.ok("POST", f"/api/v1/invoices/{ids['2026-03-15']}/cancel")
    still_draft = owner.add_entry(project_id, "2026-02-16", minutes=30)
    draft(owner, client_id, work_entry_ids=[still_draft["id"]])

    window = {"from": "2026-02-01", "to": "2026-02-28"}
    listed = owner.ok("GET", "/api/v1/invoices", params=window)["items"]
    assert {i["id"] for i in listed} == {ids["2026-02-15"], eu["id"]}
    first_page = owner.ok("GET", "/api/v1/invoices", params={**window, "limit": 1})
    assert len(first_page["items"]) == 1 and first_page["next_cursor"]

    totals = owner.ok("GET", "/api/v1/invoices/totals", params=window)["currencies"]
    assert [
        (t["currency"], t["count"], t["total"], t["paid"], t["outstanding"]) for t in totals
    ] == [
        ("CZK", 1, "1000.00", "0.00", "1000.00"),
        ("EUR", 1, "75.00", "0.00", "75.00"),
    ]
    # Cancelled invoices owe nothing, so they count only when asked for.
    everything = owner.ok("GET", "/api/v1/invoices/totals")["currencies"]
    assert [(t["currency"], t["count"], t["total"], t["outstanding"]) for t in everything] == [
        ("CZK", 3, "2500.00", "2000.00"),
        ("EUR", 1, "75.00", "75.00"),
    ]
    cancelled = owner.ok("GET", "/api/v1/invoices/totals", params={"status": "cancelled"})
    assert [(t["count"], t["total"], t["outstanding"]) for t in cancelled["currencies"]] == [
        (1, "1000.00", "0.00")
    ]
    per_client = owner.ok("GET", "/api/v1/invoices/totals", params={"client_id": euro["id"]})
    assert [t["currency"] for t in per_client["currencies"]] == ["EUR"]
    assert service.member().ok("GET", "/api/v1/invoices/totals") == {"currencies": []}


def test_an_invoice_shows_the_parties_as_they_were_when_issued(owner):
    client_id, project_id = owner.setup_work(rate="1000")
    entry = owner.add_entry(project_id, "2026-03-01", minutes=60)
    drafted = draft(owner, client_id, work_entry_ids=[entry["id"]])
    assert drafted["client"]["name"] == "Acme s.r.o." and drafted["supplier"]["name"] is None
    issued = issue(owner, drafted["id"])
    owner.ok("PUT", "/api/v1/supplier", json={"name": "Renamed"})
    shown = owner.ok("GET", f"/api/v1/invoices/{issued['id']}")
    assert shown["supplier"]["name"] == "Jana Nováková"
    assert shown["supplier"]["iban"] == "CZ6508000000192000145399"
    assert shown["client"]["email"] == "billing@acme.example"
