"""Integrations for real: plugins, encrypted configuration, uploads, cancel and updates."""

from pathlib import Path

import asyncpg
import pytest

from kasa_localstack.testing import eventually

pytestmark = [pytest.mark.e2e, pytest.mark.asyncio(loop_scope="session")]

CANARY = "CANARYe2e" + "Zq81" * 13 + "xyz"
STATEMENT = (
    Path(__file__).resolve().parents[2]
    / "services/integrations/tests/unit/statements/camt053_v02.xml"
)


def plain(url: str) -> str:
    return url.replace("+asyncpg", "")


async def database_text(url: str, tables: list[str]) -> str:
    """Every row of the given tables as text, to search for what must not be there."""
    connection = await asyncpg.connect(plain(url))
    try:
        rows = []
        for table in tables:
            rows += [str(dict(r)) for r in await connection.fetch(f"SELECT * FROM {table}")]
        return "\n".join(rows)
    finally:
        await connection.close()


async def test_a_credential_never_appears_in_plaintext_anywhere(system):
    user = await system.user()
    listing = await user.get("/api/v1/plugins")
    assert listing.status_code == 200
    fio = {p["name"]: p for p in listing.json()["items"]}["fio"]
    assert (fio["configured"], fio["enabled"]) == (False, False)

    put = await user.http.put(
        "/api/v1/plugins/fio/config",
        json={"enabled": True, "settings": {"initial_days": 30}, "credentials": {"token": CANARY}},
        headers=user.headers,
    )
    assert put.status_code == 200, put.text
    assert put.json()["credentials_set"] == ["token"] and CANARY not in put.text
    got = await user.get("/api/v1/plugins/fio/config")
    assert got.json()["credentials_set"] == ["token"] and CANARY not in got.text

    entries = await eventually(
        lambda: user.all_items("/api/v1/audit-events", event_type="integrations.plugin.configured"),
        lambda items: len(items) >= 1,
        what="the configuration change in the audit trail",
    )
    assert CANARY not in str(entries)
    assert "credentials.token" in str(entries), "audit names the changed credential field"

    integrations = await database_text(
        system.database_urls["integrations"], ["plugin_configs", "outbox", "syncs"]
    )
    assert CANARY not in integrations
    audit = await database_text(system.database_urls["audit"], ["audit_entries", "event_archive"])
    assert "integrations.plugin.configured" in audit and CANARY not in audit
    for log in (system.stack.config.data_dir / "logs").glob("*.log"):
        assert CANARY not in log.read_text(errors="replace"), log.name


async def test_a_camt053_upload_reaches_the_ledger_and_hostile_files_do_not(system):
    user = await system.user()
    started = await user.post(
        "/api/v1/plugins/camt053/imports",
        files={"file": ("statement.xml", STATEMENT.read_bytes(), "application/xml")},
    )
    assert started.status_code == 202, started.text
    sync = await user.wait_sync(started.json()["id"])
    assert (sync["status"], sync["records_created"]) == ("completed", 2)
    transactions = await eventually(
        lambda: user.all_items("/api/v1/transactions"),
        lambda items: len(items) >= 2,
        what="the statement's entries in the ledger",
    )
    assert {t["source"] for t in transactions} == {"camt053"}

    bomb = b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY a "aaaa">]><Document>&a;</Document>'
    refused = await user.post(
        "/api/v1/plugins/camt053/imports", files={"file": ("bomb.xml", bomb, "application/xml")}
    )
    assert refused.status_code == 422
    assert "entity" in refused.json()["detail"]
    assert len(await user.all_items("/api/v1/syncs", plugin="camt053")) == 1


async def test_changed_transactions_are_published_as_updates(system):
    user = await system.user()
    first = await user.wait_sync(await user.start_sync(20))
    assert first["records_created"] == 20
    changed = await user.http.put(
        "/api/v1/plugins/demo/config",
        json={
            "settings": {"invoice_payments": [{"variable_symbol": "20260001", "amount": "1.00"}]}
        },
        headers=user.headers,
    )
    assert changed.status_code == 200, changed.text
    again = await user.wait_sync(await user.start_sync(20))
    assert (again["records_created"], again["records_updated"], again["records_skipped"]) == (
        0,
        3,
        17,
    )
    updates = await eventually(
        lambda: user.all_items(
            "/api/v1/audit-events",
            event_type="integrations.transaction.updated",
            correlation_id=again["id"],
        ),
        lambda items: len(items) >= 3,
        what="three updates in the audit trail",
    )
    assert len(updates) == 3


async def test_a_running_sync_can_be_cancelled(system):
    user = await system.user()
    stranger = await system.user()
    sync_id = await user.start_sync(1_000_000)
    await eventually(
        lambda: user.get(f"/api/v1/syncs/{sync_id}"),
        lambda r: r.json()["records_processed"] > 0,
        what="the sync under way",
    )
    cancel = await user.post(f"/api/v1/syncs/{sync_id}/cancel")
    assert cancel.status_code == 200, cancel.text
    done = await eventually(
        lambda: user.get(f"/api/v1/syncs/{sync_id}"),
        lambda r: r.json()["status"] != "running",
        what="the sync stopped",
        timeout=30,
    )
    body = done.json()
    assert body["status"] == "cancelled"
    assert 0 < body["records_created"] < 1_000_000
    again = await user.post(f"/api/v1/syncs/{sync_id}/cancel")
    assert again.status_code == 409
    assert (await stranger.post(f"/api/v1/syncs/{sync_id}/cancel")).status_code == 404
