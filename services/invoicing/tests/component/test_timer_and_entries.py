"""The timer switching projects, and work entries that name the invoice they are on."""

from kasa_contracts.events.invoicing import WorkEntryCreated, WorkEntryUpdated


def test_switching_stops_the_running_timer_and_starts_the_next_one(service, owner):
    client_id, first = owner.setup_work()
    second = owner.ok(
        "POST", "/api/v1/projects", 201, json={"client_id": client_id, "name": "Support"}
    )["id"]
    running = owner.ok("POST", "/api/v1/timer/start", 201, json={"project_id": first})

    switched = owner.ok(
        "POST",
        "/api/v1/timer/start",
        201,
        json={"project_id": second, "description": "Hotline", "switch": True},
    )

    assert switched["project_id"] == second and switched["running"]
    assert switched["description"] == "Hotline"
    assert owner.ok("GET", "/api/v1/timer")["running"]["id"] == switched["id"]
    stopped = owner.ok("GET", f"/api/v1/work-entries/{running['id']}")
    assert not stopped["running"] and stopped["minutes"] == 1
    [update] = service.events(WorkEntryUpdated.routing_key())
    assert update.payload.work_entry_id.hex == running["id"].replace("-", "")
    assert update.payload.changes["minutes"].after == 1
    assert len(service.events(WorkEntryCreated.routing_key())) == 2


def test_switching_with_no_timer_running_just_starts_one(owner):
    _, project_id = owner.setup_work()
    started = owner.ok(
        "POST", "/api/v1/timer/start", 201, json={"project_id": project_id, "switch": True}
    )
    assert owner.ok("GET", "/api/v1/timer")["running"]["id"] == started["id"]


def test_a_switch_to_another_workspaces_project_keeps_the_timer_running(service, owner):
    _, project_id = owner.setup_work()
    running = owner.ok("POST", "/api/v1/timer/start", 201, json={"project_id": project_id})
    _, foreign = service.member().setup_work()

    refused = owner.post("/api/v1/timer/start", json={"project_id": foreign, "switch": True})

    assert refused.status_code == 404
    assert owner.ok("GET", "/api/v1/timer")["running"]["id"] == running["id"]


def test_an_invoiced_entry_names_its_invoice_once_it_has_a_number(owner):
    client_id, project_id = owner.setup_work()
    entry = owner.add_entry(project_id, "2026-03-02", minutes=90)
    assert owner.ok("GET", f"/api/v1/work-entries/{entry['id']}")["invoice_number"] is None

    invoice = owner.ok(
        "POST",
        "/api/v1/invoices",
        201,
        json={"client_id": client_id, "work_entry_ids": [entry["id"]]},
    )
    draft = owner.ok("GET", f"/api/v1/work-entries/{entry['id']}")
    assert draft["invoice_id"] == invoice["id"] and draft["invoice_number"] is None

    issued = owner.ok("POST", f"/api/v1/invoices/{invoice['id']}/issue")
    [listed] = owner.ok("GET", "/api/v1/work-entries", params={"unbilled": "false"})["items"]
    assert listed["invoice_number"] == issued["number"]
    one = owner.ok("GET", f"/api/v1/work-entries/{entry['id']}")
    assert one["invoice_number"] == issued["number"]
