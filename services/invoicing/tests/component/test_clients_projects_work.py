"""Supplier profile, clients, projects and work entries through the real app."""

import uuid

from kasa_contracts.events.invoicing import (
    ClientCreated,
    ClientDeleted,
    ClientUpdated,
    ProjectCreated,
    SupplierProfileUpdated,
    WorkEntryDeleted,
    WorkEntryUpdated,
)


def test_the_supplier_profile_checks_iban_bic_and_number_format(service, owner):
    assert owner.get("/api/v1/supplier").status_code == 404
    base = {"name": "Jana Nováková", "iban": "DE89370400440532013000"}
    for bad in (
        {"iban": "DE89370400440532013001"},  # one digit off: mod 97 fails
        {"bic": "GIBA CZ"},
        {"number_format": "{year}-0001"},  # no {seq}: numbers would repeat
        {"number_format": "{customer}-{seq}"},
    ):
        response = owner.put("/api/v1/supplier", json={**base, **bad})
        assert response.status_code == 422, bad
    saved = owner.ok(
        "PUT",
        "/api/v1/supplier",
        json={**base, "iban": "cz65 0800 0000 1920 0014 5399", "bic": "gibaczpx"},
    )
    assert saved["iban"] == "CZ6508000000192000145399"
    assert saved["bic"] == "GIBACZPX"
    assert saved["number_format"] == "{year}-{seq:04d}" and saved["payment_terms_days"] == 14
    assert owner.ok("GET", "/api/v1/supplier") == saved

    owner.ok("PUT", "/api/v1/supplier", json={**base, "iban": "CZ5855000000001265098001"})
    first, second = service.events(SupplierProfileUpdated.routing_key())
    assert second.payload.changes["iban"].before == "CZ6508000000192000145399"
    assert second.payload.changes["iban"].after == "CZ5855000000001265098001"
    assert first.payload.changes["name"].after == "Jana Nováková"
    assert second.actor.type == "user"


def test_client_crud_publishes_every_change_with_before_and_after(service, owner):
    created = owner.ok(
        "POST",
        "/api/v1/clients",
        201,
        json={"name": "Acme", "currency": "EUR", "language": "en", "hourly_rate": "80.5"},
    )
    assert created["hourly_rate"] == "80.50", "rates read at the currency's precision"
    client_id = created["id"]
    updated = owner.ok(
        "PATCH", f"/api/v1/clients/{client_id}", json={"name": "Acme GmbH", "language": "cs"}
    )
    assert (updated["name"], updated["language"], updated["currency"]) == ("Acme GmbH", "cs", "EUR")
    assert owner.ok("GET", "/api/v1/clients")["items"][0]["id"] == client_id
    owner.ok("DELETE", f"/api/v1/clients/{client_id}", 204)
    assert owner.get(f"/api/v1/clients/{client_id}").status_code == 404

    [made] = service.events(ClientCreated.routing_key())
    assert made.payload.changes["hourly_rate"].after == "80.5"
    assert made.payload.changes["name"].before is None
    [changed] = service.events(ClientUpdated.routing_key())
    assert set(changed.payload.changes) == {"name", "language"}
    assert changed.payload.changes["name"].before == "Acme"
    [gone] = service.events(ClientDeleted.routing_key())
    assert gone.payload.changes["name"].before == "Acme GmbH"
    assert gone.payload.changes["name"].after is None


def test_clients_are_invalid_in_bad_languages_and_currencies(owner):
    for bad in ({"language": "de"}, {"currency": "czk"}, {"hourly_rate": 12.5}, {"extra": 1}):
        response = owner.post("/api/v1/clients", json={"name": "X", **bad})
        assert response.status_code == 422, bad
        assert response.headers["content-type"] == "application/problem+json"


def test_another_workspace_sees_nothing_and_gets_404(service, owner):
    client_id, project_id = owner.setup_work()
    entry = owner.add_entry(project_id, "2026-03-02", minutes=60)
    stranger = service.member()
    for path in (
        f"/api/v1/clients/{client_id}",
        f"/api/v1/projects/{project_id}",
        f"/api/v1/work-entries/{entry['id']}",
    ):
        assert stranger.get(path).status_code == 404
        assert stranger.patch(path, json={}).status_code == 404
        assert stranger.delete(path).status_code == 404
    assert stranger.ok("GET", "/api/v1/clients")["items"] == []
    assert stranger.ok("GET", "/api/v1/work-entries")["items"] == []
    # Nor can a stranger hang its project on someone else's client.
    response = stranger.post("/api/v1/projects", json={"client_id": client_id, "name": "x"})
    assert response.status_code == 404
    response = stranger.post(
        "/api/v1/work-entries",
        json={"project_id": project_id, "work_date": "2026-03-02", "minutes": 5},
    )
    assert response.status_code == 404


def test_viewers_read_but_do_not_write(service, owner):
    client_id, _ = owner.setup_work()
    viewer = service.member(owner.workspace_id, role="viewer")
    assert viewer.get(f"/api/v1/clients/{client_id}").status_code == 200
    assert viewer.post("/api/v1/clients", json={"name": "X"}).status_code == 403
    assert viewer.delete(f"/api/v1/clients/{client_id}").status_code == 403
    assert service.client.get("/api/v1/clients").status_code == 401


def test_a_project_bills_at_its_own_rate_or_else_the_clients(service, owner):
    client_id, project_id = owner.setup_work(rate="1200")
    project = owner.ok("GET", f"/api/v1/projects/{project_id}")
    assert project["hourly_rate"] is None
    assert project["effective_hourly_rate"] == "1200.00"
    assert project["effective_currency"] == "CZK"
    special = owner.ok(
        "POST",
        "/api/v1/projects",
        201,
        json={"client_id": client_id, "name": "Audit", "hourly_rate": "1500"},
    )
    assert special["effective_hourly_rate"] == "1500.00"
    owner.ok("PATCH", f"/api/v1/clients/{client_id}", json={"hourly_rate": "1300"})
    assert owner.ok("GET", f"/api/v1/projects/{project_id}")["effective_hourly_rate"] == "1300.00"
    listed = owner.ok("GET", "/api/v1/projects", params={"client_id": client_id})["items"]
    assert [p["name"] for p in listed] == ["Audit", "Web"]
    [made, _] = service.events(ProjectCreated.routing_key())
    assert made.payload.client_id == uuid.UUID(client_id)
    # A client with projects cannot disappear under them.
    assert owner.delete(f"/api/v1/clients/{client_id}").status_code == 409


def test_work_entries_are_time_or_an_amount_and_filter_by_client_project_dates(owner):
    client_id, project_id = owner.setup_work()
    other_client = owner.ok("POST", "/api/v1/clients", 201, json={"name": "Beta"})["id"]
    other_project = owner.ok(
        "POST", "/api/v1/projects", 201, json={"client_id": other_client, "name": "B"}
    )["id"]
    for bad in ({}, {"minutes": 30, "fixed_amount": "100"}, {"minutes": 0}):
        response = owner.post(
            "/api/v1/work-entries",
            json={"project_id": project_id, "work_date": "2026-03-01", **bad},
        )
        assert response.status_code == 422, bad
    a = owner.add_entry(project_id, "2026-03-01", minutes=90)
    b = owner.add_entry(project_id, "2026-03-15", fixed_amount="5000")
    c = owner.add_entry(other_project, "2026-03-20", minutes=30)
    d = owner.add_entry(project_id, "2026-04-01", minutes=30, billable=False)
    assert a["client_id"] == client_id and not a["locked"]

    def ids(**params):
        items = owner.ok("GET", "/api/v1/work-entries", params=params)["items"]
        return {i["id"] for i in items}

    assert ids(client_id=client_id) == {a["id"], b["id"], d["id"]}
    assert ids(project_id=other_project) == {c["id"]}
    assert ids(**{"from": "2026-03-10", "to": "2026-03-31"}) == {b["id"], c["id"]}
    assert ids(unbilled="true") == {a["id"], b["id"], c["id"]}, "not-billable work is not unbilled"


def test_an_invoiced_entry_is_locked_until_its_invoice_goes(service, owner):
    client_id, project_id = owner.setup_work()
    entry = owner.add_entry(project_id, "2026-03-01", minutes=60)
    updated = owner.ok("PATCH", f"/api/v1/work-entries/{entry['id']}", json={"minutes": 75})
    assert updated["minutes"] == 75
    [change] = service.events(WorkEntryUpdated.routing_key())
    assert change.payload.changes["minutes"].model_dump() == {
        "before": 60,
        "after": 75,
        "redacted": False,
    }

    invoice = owner.ok(
        "POST",
        "/api/v1/invoices",
        201,
        json={"client_id": client_id, "work_entry_ids": [entry["id"]]},
    )
    locked = owner.ok("GET", f"/api/v1/work-entries/{entry['id']}")
    assert locked["locked"] and locked["invoice_id"] == invoice["id"]
    path = f"/api/v1/work-entries/{entry['id']}"
    assert owner.patch(path, json={"minutes": 10}).status_code == 409
    assert owner.delete(path).status_code == 409
    assert owner.ok("GET", "/api/v1/work-entries", params={"unbilled": "true"})["items"] == []

    owner.ok("DELETE", f"/api/v1/invoices/{invoice['id']}", 204)
    assert not owner.ok("GET", path)["locked"]
    owner.ok("DELETE", path, 204)
    [deleted] = service.events(WorkEntryDeleted.routing_key())
    assert deleted.payload.changes["minutes"].before == 75


def test_a_timer_becomes_a_time_entry_when_it_stops(owner):
    _, project_id = owner.setup_work()
    assert owner.ok("GET", "/api/v1/timer") == {"running": None}
    assert owner.post("/api/v1/timer/stop").status_code == 409
    started = owner.ok(
        "POST", "/api/v1/timer/start", 201, json={"project_id": project_id, "description": "Call"}
    )
    assert started["running"] and started["minutes"] is None
    again = owner.post("/api/v1/timer/start", json={"project_id": project_id})
    assert again.status_code == 409
    assert owner.ok("GET", "/api/v1/timer")["running"]["id"] == started["id"]
    assert owner.ok("GET", "/api/v1/work-entries", params={"unbilled": "true"})["items"] == []
    stopped = owner.ok("POST", "/api/v1/timer/stop")
    assert stopped["id"] == started["id"] and stopped["minutes"] == 1 and not stopped["running"]
    unbilled = owner.ok("GET", "/api/v1/work-entries", params={"unbilled": "true"})["items"]
    assert [e["id"] for e in unbilled] == [started["id"]]
