"""Writes through the public API of every service land in the audit trail with their source."""

import pytest

from kasa_localstack.testing import eventually

pytestmark = [pytest.mark.e2e, pytest.mark.asyncio(loop_scope="session")]


async def ok(response) -> dict:
    assert response.status_code in (200, 201, 204), response.text
    return response.json() if response.content else {}


async def test_each_write_is_in_the_trail_with_its_user_and_service(system):
    user = await system.user()
    put = user.http.put
    h = user.headers
    expected: dict[str, str] = {"identity.user.registered": "gateway"}

    await ok(
        await put(
            "/api/v1/supplier",
            headers=h,
            json={"name": "Studio", "iban": "CZ6508000000192000145399", "vat_payer": True},
        )
    )
    client = await ok(await user.post("/api/v1/clients", json={"name": "Acme", "currency": "CZK"}))
    await ok(
        await user.http.patch(
            f"/api/v1/clients/{client['id']}", headers=h, json={"name": "Acme s.r.o."}
        )
    )
    spare = await ok(await user.post("/api/v1/clients", json={"name": "Spare", "currency": "CZK"}))
    await ok(await user.http.delete(f"/api/v1/clients/{spare['id']}", headers=h))
    project = await ok(
        await user.post(
            "/api/v1/projects",
            json={"client_id": client["id"], "name": "Site", "hourly_rate": "900.00"},
        )
    )
    entry = await ok(
        await user.post(
            "/api/v1/work-entries",
            json={"project_id": project["id"], "work_date": "2026-03-02", "minutes": 120},
        )
    )
    await ok(
        await user.http.patch(
            f"/api/v1/work-entries/{entry['id']}", headers=h, json={"description": "Wireframes"}
        )
    )
    invoice = await ok(
        await user.post(
            "/api/v1/invoices",
            json={"client_id": client["id"], "work_entry_ids": [entry["id"]], "vat_rate": "21"},
        )
    )
    await ok(await user.post(f"/api/v1/invoices/{invoice['id']}/issue", json={}))
    await ok(await user.post(f"/api/v1/invoices/{invoice['id']}/share", json={}))
    await ok(await user.http.delete(f"/api/v1/invoices/{invoice['id']}/share", headers=h))
    await ok(await user.post(f"/api/v1/invoices/{invoice['id']}/cancel", json={}))
    expected |= {
        f"invoicing.{t}": "invoicing"
        for t in (
            "supplier_profile.updated",
            "client.created",
            "client.updated",
            "client.deleted",
            "project.created",
            "work_entry.created",
            "work_entry.updated",
            "invoice.drafted",
            "invoice.issued",
            "invoice.shared",
            "invoice.share_revoked",
            "invoice.cancelled",
        )
    }

    account = await ok(
        await user.post("/api/v1/accounts", json={"name": "Cash box", "currency": "CZK"})
    )
    await ok(await user.post("/api/v1/categories", json={"name": "Office"}))
    transaction = await ok(
        await user.post(
            "/api/v1/transactions",
            json={
                "type": "expense",
                "amount": "250.00",
                "currency": "CZK",
                "transacted_on": "2026-03-03",
                "account_id": account["id"],
            },
        )
    )
    await ok(
        await user.http.patch(
            f"/api/v1/transactions/{transaction['id']}",
            headers=h,
            json={"category": "Office", "notes": "paper"},
        )
    )
    expected |= {
        f"ledger.{t}": "ledger"
        for t in (
            "account.created",
            "category.created",
            "transaction.recorded",
            "transaction.updated",
        )
    }

    await ok(
        await put("/api/v1/plugins/demo/config", headers=h, json={"enabled": True, "settings": {}})
    )
    expected["integrations.plugin.configured"] = "integrations"

    async def trail() -> list[dict]:
        return await user.all_items("/api/v1/audit-events")

    entries = await eventually(
        trail,
        lambda items: set(expected) <= {e["event_type"] for e in items},
        timeout=60,
        what="every write in the trail",
    )
    user_id = user.user["user_id"]
    for event_type, service in expected.items():
        mine = [e for e in entries if e["event_type"] == event_type]
        assert any(
            e["actor"]["type"] == "user"
            and e["actor"]["id"] == user_id
            and e["source"]["service"] == service
            for e in mine
        ), (event_type, mine)
    updated = next(e for e in entries if e["event_type"] == "invoicing.client.updated")
    assert updated["changes"]["name"] == {
        "before": "Acme",
        "after": "Acme s.r.o.",
        "redacted": False,
    }
