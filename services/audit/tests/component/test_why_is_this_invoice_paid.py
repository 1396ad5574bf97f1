"""The trail answers "why is this invoice paid?" and shows what changed, secrets only named."""

import json
from itertools import pairwise
from uuid import UUID, uuid4

PLUGIN = {"type": "plugin", "id": "fio", "name": "Fio banka"}
SYSTEM = {"type": "system", "id": "ledger", "name": None}


def bearer(token, workspace_id):
    return {"Authorization": f"Bearer {token(workspace_id)}"}


async def test_the_correlation_returns_the_chain_from_sync_to_paid_invoice(
    client, token, event, feed
):
    workspace, invoice_id, sync = uuid4(), str(uuid4()), "sync-42"
    steps = [
        ("integrations.sync.started", {"sync_id": sync, "plugin": "fio"}, PLUGIN),
        ("integrations.transaction.imported", {"external_id": "fio-1", "plugin": "fio"}, PLUGIN),
        ("ledger.transaction.recorded", {"transaction_id": str(uuid4())}, SYSTEM),
        ("ledger.payment.matched", {"match_id": str(uuid4()), "invoice_id": invoice_id}, SYSTEM),
        ("invoicing.invoice.paid", {"invoice_id": invoice_id, "number": "2026-0001"}, SYSTEM),
    ]
    bodies, cause = [], None
    for event_type, payload, actor in steps:
        body = event(
            event_type,
            payload,
            workspace_id=workspace,
            actor=actor,
            correlation_id=sync,
            causation_id=cause,
        )
        bodies.append(body)
        # The import was caused by the sync run, not by the sync.started event.
        cause = (
            None
            if event_type == "integrations.sync.started"
            else UUID(json.loads(body)["event_id"])
        )
    await feed(
        *bodies,
        event(
            "integrations.sync.started",
            {"sync_id": "other"},
            workspace_id=workspace,
            correlation_id="other",
        ),
    )

    [paid] = client.get(
        "/api/v1/audit-events",
        params={"entity_type": "invoice", "entity_id": invoice_id},
        headers=bearer(token, workspace),
    ).json()["items"]
    assert paid["action"] == "paid"
    chain = client.get(
        "/api/v1/audit-events",
        params={"correlation_id": paid["correlation_id"]},
        headers=bearer(token, workspace),
    ).json()["items"]
    oldest_first = list(reversed(chain))
    assert [e["event_type"] for e in oldest_first] == [s[0] for s in steps]
    assert oldest_first[1]["source"] == {
        "service": "integrations",
        "plugin": "fio",
        "plugin_version": None,
    }
    # Each step names the event that caused it.
    for earlier, later in pairwise(oldest_first[1:]):
        assert later["causation_id"] == earlier["event_id"]


async def test_changes_are_kept_and_secret_fields_only_named(client, token, event, feed):
    workspace = uuid4()
    changes = {
        "name": {"before": "Old s.r.o.", "after": "New s.r.o.", "redacted": False},
        # A producer that slipped and sent a secret's values: the trail keeps only its name.
        "api_token": {"before": "tok-old", "after": "tok-new", "redacted": True},
    }
    await feed(
        event(
            "integrations.plugin.configured",
            {"plugin": "fio", "changes": changes},
            workspace_id=workspace,
            actor={"type": "user", "id": "u-1", "name": "Eva"},
            producer="integrations",
        )
    )
    [entry] = client.get("/api/v1/audit-events", headers=bearer(token, workspace)).json()["items"]
    assert entry["changes"] == {
        "name": {"before": "Old s.r.o.", "after": "New s.r.o.", "redacted": False},
        "api_token": {"before": None, "after": None, "redacted": True},
    }
    assert entry["actor"] == {"type": "user", "id": "u-1", "name": "Eva"}
    export = client.get("/api/v1/audit-events/export", headers=bearer(token, workspace)).text
    assert "tok-old" not in export and "tok-new" not in export
