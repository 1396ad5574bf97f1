"""The operator API through the gateway: what ``kasa status`` and ``kasa dlq`` do, for an
instance operator only, with the same dry runs and the same refusal to requeue a forgery."""

import asyncio
import json
import uuid

import pytest

from kasa_localstack.testing import (
    RefusedTransactions,
    as_operator,
    eventually,
    imported_transaction,
    issue_invoice,
    publish_envelope,
)

pytestmark = [pytest.mark.e2e, pytest.mark.asyncio(loop_scope="session")]

QUEUE = "ledger.transactions"
PARKED = f"/api/v1/operator/queues/{QUEUE}/parked"


async def publish(system, sender: str, envelope: dict, *, straight: bool = False) -> None:
    """As ``sender``'s broker user: to ``kasa.events``, or ``straight`` into the ledger's
    queue through the default exchange (how a service that does not own the event could)."""
    await publish_envelope(
        system.broker_url(sender),
        system.broker_user(sender),
        envelope,
        into_queue=QUEUE if straight else None,
    )


async def test_an_ordinary_user_is_refused_and_an_operator_sees_the_status(system):
    user = await system.user()
    refused = await user.get("/api/v1/operator/status")
    assert refused.status_code == 403, refused.text
    assert refused.headers["content-type"] == "application/problem+json"
    assert refused.json()["required_role"] == "operator"

    operator = await as_operator(system.stack, await system.user())

    async def status() -> dict:
        answer = await operator.get("/api/v1/operator/status")
        assert answer.status_code == 200, answer.text
        return answer.json()

    # Right after start, on a busy machine, a readiness probe may still time out: the status
    # then says so (with the error), and says ready once it is.
    status_now = await eventually(
        status,
        lambda s: all(service["ready"] for service in s["services"]),
        what="every service ready in the operator status",
    )
    assert status_now["broker"]["reachable"] is True
    services = {s["service"]: s for s in status_now["services"]}
    assert set(services) == {"gateway", "integrations", "ledger", "invoicing", "audit"}
    assert all(s["version"] for s in services.values()), services
    [queue] = [q for q in services["ledger"]["queues"] if q["queue"] == QUEUE]
    assert queue["consumers"] >= 1 and queue["parked_messages"] is not None
    assert services["integrations"]["outbox"]["waiting"] >= 0
    # The operator role is the instance's, not a workspace's: their workspace data is theirs.
    assert (await operator.get("/api/v1/me")).json()["workspace"]["role"] == "owner"


async def test_parked_messages_are_listed_dry_run_requeued_and_discarded(system):
    if not system.stack.config.broker_urls:
        pytest.skip("the broker is not local: no per-service users, so no sender check")
    operator = await as_operator(system.stack, await system.user())
    workspace = operator.user["workspace_id"]
    tag = uuid.uuid4().hex[:8]
    # The "bug": the ledger's database refuses these rows until an operator fixes it.
    bug = await RefusedTransactions(system.database_urls["ledger"], f"poison-{tag}-").start()
    keep, drop = (
        imported_transaction(workspace, f"poison-{tag}-keep"),
        imported_transaction(workspace, f"poison-{tag}-drop"),
    )
    # Put straight into the ledger's queue by audit, not the event's owner: parked as a forgery.
    forged = imported_transaction(workspace, f"forged-{tag}")
    for envelope in (keep, drop):
        await publish(system, "integrations", envelope)
    await publish(system, "audit", forged, straight=True)
    mine = {keep["event_id"], drop["event_id"], forged["event_id"]}

    async def parked() -> dict[str, dict]:
        response = await operator.get(PARKED, params={"limit": 500})
        assert response.status_code == 200, response.text
        return {m["message_id"]: m for m in response.json()["items"]}

    found = await eventually(
        parked, lambda ms: mine <= set(ms), timeout=60, what="the three messages parked"
    )
    assert found[keep["event_id"]]["attempts"] == 3
    assert "refused for the test" in found[keep["event_id"]]["error"]
    assert found[forged["event_id"]]["untrusted_sender"] is True
    shown = await operator.get(f"{PARKED}/{keep['event_id']}")
    assert shown.status_code == 200, shown.text
    assert (
        json.loads(shown.json()["body"])["payload"]["external_id"] == keep["payload"]["external_id"]
    )
    assert shown.json()["headers"]["x-error"].startswith(found[keep["event_id"]]["error"][:20])
    ordinary = await system.user()
    assert (await ordinary.get(f"{PARKED}/{keep['event_id']}")).status_code == 403

    # Dry runs answer what would happen and change nothing.
    ids = sorted(mine)
    plan = await operator.post(f"{PARKED}/requeue", json={"message_ids": ids, "dry_run": True})
    assert plan.status_code == 200, plan.text
    assert plan.json()["dry_run"] is True
    assert {m["message_id"] for m in plan.json()["requeued"]} == {
        keep["event_id"],
        drop["event_id"],
    }
    assert [m["message_id"] for m in plan.json()["left_parked"]] == [forged["event_id"]]
    dry_discard = await operator.post(
        f"{PARKED}/discard", json={"message_ids": [drop["event_id"]], "dry_run": True}
    )
    assert [m["message_id"] for m in dry_discard.json()["discarded"]] == [drop["event_id"]]
    await asyncio.sleep(1)
    assert mine <= set(await parked())
    assert await operator.count("/api/v1/transactions") == 0

    # Discard drops one for good; requeue after the fix applies the other, once.
    dropped = await operator.post(f"{PARKED}/discard", json={"message_ids": [drop["event_id"]]})
    assert [m["message_id"] for m in dropped.json()["discarded"]] == [drop["event_id"]]
    await bug.fix()
    requeued = await operator.post(
        f"{PARKED}/requeue", json={"message_ids": [keep["event_id"], forged["event_id"]]}
    )
    assert requeued.status_code == 200, requeued.text
    assert [m["message_id"] for m in requeued.json()["requeued"]] == [keep["event_id"]]
    assert [m["message_id"] for m in requeued.json()["left_parked"]] == [forged["event_id"]]
    await eventually(
        lambda: operator.count("/api/v1/transactions"),
        lambda n: n >= 1,
        what="the requeued message applied",
    )
    await asyncio.sleep(1.5)
    [booked] = await operator.all_items("/api/v1/transactions")
    assert booked["external_id"] == keep["payload"]["external_id"]
    remaining = await parked()
    assert keep["event_id"] not in remaining and drop["event_id"] not in remaining
    assert forged["event_id"] in remaining  # a forgery is never laundered by a requeue
    gone = await operator.get(f"{PARKED}/{drop['event_id']}")
    assert gone.status_code == 404 and gone.headers["content-type"] == "application/problem+json"


async def test_an_unknown_queue_is_a_404_problem(system):
    operator = await as_operator(system.stack, await system.user())
    response = await operator.get("/api/v1/operator/queues/no.such.queue/parked")
    assert response.status_code == 404, response.text
    assert "no.such.queue" in response.json()["detail"]


async def test_parked_mail_is_listed_retried_and_dropped_by_the_operator(system):
    operator = await as_operator(system.stack, await system.user())
    user = await system.user()
    refused = await user.get("/api/v1/operator/mail")
    assert refused.status_code == 403
    kept, dropped = (f"{label}-{uuid.uuid4().hex[:8]}@example.com" for label in ("kept", "gone"))
    system.mail.refusing = True
    try:
        for email in (kept, dropped):
            invoice = await issue_invoice(user)
            sent = await user.post(f"/api/v1/invoices/{invoice['id']}/send", json={"to": email})
            assert sent.status_code == 202, sent.text

        async def parked() -> dict[str, str]:
            listed = (await operator.get("/api/v1/operator/mail")).json()
            items = listed["invoicing"]["items"]
            return {m["recipient"]: m["id"] for m in items if m["recipient"] in (kept, dropped)}

        ids = await eventually(parked, lambda found: len(found) == 2, what="both mails parked")
    finally:
        system.mail.refusing = False
    listed = (await operator.get("/api/v1/operator/mail")).json()
    assert listed["invoicing"]["counts"]["parked"] >= 2 and "counts" in listed["gateway"]
    retry = "/api/v1/operator/mail/invoicing/retry"
    dry = await operator.post(retry, json={"ids": [ids[kept]], "dry_run": True})
    assert dry.json() == {"dry_run": True, "would_retry": 1}
    assert (await operator.post(retry, json={"ids": [ids[kept]]})).json() == {"retried": 1}
    await system.mail.wait_for(1, address=kept)
    drop = "/api/v1/operator/mail/invoicing/drop"
    assert (await operator.post(drop, json={"ids": [ids[dropped]]})).json() == {"dropped": 1}
    gone = (await operator.get("/api/v1/operator/mail", params={"status": "dropped"})).json()
    assert any(m["id"] == ids[dropped] for m in gone["invoicing"]["items"])
    await asyncio.sleep(1)
    assert system.mail.to(dropped) == []
    unknown = await operator.post("/api/v1/operator/mail/ledger/retry", json={})
    assert unknown.status_code == 422, "only the services that send mail"
