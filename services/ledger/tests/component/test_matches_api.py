"""Matching through the real app: automatic, by hand, undone, and suggestions a user decides."""

from uuid import uuid4

from kasa_contracts.events.invoicing import InvoiceCancelled, InvoicePaid
from kasa_contracts.events.ledger import (
    MatchSuggestionRejected,
    PaymentMatched,
    PaymentUnmatched,
)
from kasa_servicekit.testing import outbox_events

from .conftest import bank_movement, invoice


async def test_a_payment_by_variable_symbol_is_matched_and_published(ledger):
    issued = invoice(variable_symbol="20260001", total="1000.00")
    await ledger.deliver(issued)
    await ledger.deliver(bank_movement(external_id="a", variable_symbol="0020260001"))
    tx = await ledger.transaction("a")
    assert tx["invoice_id"] == str(issued.invoice_id)
    assert tx["matched_amount"] == "1000.00"
    [event] = await outbox_events(ledger.db, PaymentMatched.routing_key())
    assert event.payload.invoice_id == issued.invoice_id
    assert (event.payload.amount, event.payload.currency, event.payload.reason) == (
        1000,
        "CZK",
        "variable_symbol",
    )
    assert str(event.payload.paid_on) == tx["transacted_on"]
    assert event.actor.type == "system"
    unmatched = await ledger.http.get("/api/v1/transactions", params={"unmatched": "true"})
    assert unmatched.json()["items"] == []
    matched = await ledger.http.get(
        "/api/v1/matches", params={"invoice_id": str(issued.invoice_id)}
    )
    assert [m["amount"] for m in matched.json()["items"]] == ["1000.00"]


async def test_a_transaction_never_pays_more_than_its_own_amount(ledger):
    first, second = invoice(variable_symbol=None), invoice(variable_symbol=None, number="2026-0002")
    await ledger.deliver(first)
    await ledger.deliver(second)
    await ledger.deliver(bank_movement(external_id="a", amount="1500.00"))
    tx = await ledger.transaction("a")
    url = f"/api/v1/transactions/{tx['id']}/match"

    part = await ledger.http.post(url, json={"invoice_id": str(first.invoice_id), "amount": "1000"})
    assert part.status_code == 201, part.text
    too_much = await ledger.http.post(
        url, json={"invoice_id": str(second.invoice_id), "amount": "600"}
    )
    assert too_much.status_code == 409
    rest = await ledger.http.post(url, json={"invoice_id": str(second.invoice_id)})
    assert rest.status_code == 201 and rest.json()["amount"] == "500.00"
    nothing_left = await ledger.http.post(url, json={"invoice_id": str(first.invoice_id)})
    assert nothing_left.status_code == 409
    assert (await ledger.transaction("a"))["matched_amount"] == "1500.00"
    reasons = [
        e.payload.reason for e in await outbox_events(ledger.db, PaymentMatched.routing_key())
    ]
    assert reasons == ["manual", "manual"]


async def test_manual_matching_checks_the_invoice(ledger):
    eur = invoice(currency="EUR", variable_symbol=None)
    await ledger.deliver(eur)
    await ledger.deliver(bank_movement(external_id="a"))
    await ledger.deliver(bank_movement(external_id="b", direction="expense"))
    income, expense = await ledger.transaction("a"), await ledger.transaction("b")
    wrong_currency = await ledger.http.post(
        f"/api/v1/transactions/{income['id']}/match", json={"invoice_id": str(eur.invoice_id)}
    )
    assert wrong_currency.status_code == 409
    unknown = await ledger.http.post(
        f"/api/v1/transactions/{income['id']}/match", json={"invoice_id": str(uuid4())}
    )
    assert unknown.status_code == 404
    czk = invoice(variable_symbol=None, number="2026-0002")
    await ledger.deliver(czk)
    spend = await ledger.http.post(
        f"/api/v1/transactions/{expense['id']}/match", json={"invoice_id": str(czk.invoice_id)}
    )
    assert spend.status_code == 409, "an expense pays no invoice of ours"
    await ledger.deliver(InvoiceCancelled(invoice_id=czk.invoice_id, number=czk.number))
    cancelled = await ledger.http.post(
        f"/api/v1/transactions/{income['id']}/match", json={"invoice_id": str(czk.invoice_id)}
    )
    assert cancelled.status_code == 409


async def test_unmatching_publishes_and_the_pair_is_not_matched_again(ledger):
    issued = invoice(variable_symbol="77")
    await ledger.deliver(issued)
    await ledger.deliver(bank_movement(external_id="a", variable_symbol="77"))
    tx = await ledger.transaction("a")
    assert tx["invoice_id"] == str(issued.invoice_id)
    response = await ledger.http.delete(f"/api/v1/transactions/{tx['id']}/match")
    assert response.status_code == 204
    [event] = await outbox_events(ledger.db, PaymentUnmatched.routing_key())
    assert event.payload.invoice_id == issued.invoice_id
    assert str(event.payload.transaction_id) == tx["id"]
    assert event.actor.type == "user"
    after = await ledger.transaction("a")
    assert (after["invoice_id"], after["matched_amount"]) == (None, "0.00")
    assert (await ledger.http.delete(f"/api/v1/transactions/{tx['id']}/match")).status_code == 404

    # The invoice arriving again (a replay) does not undo the user's decision.
    await ledger.deliver(issued)
    assert (await ledger.transaction("a"))["invoice_id"] is None


async def test_voiding_a_matched_payment_takes_it_off_the_invoice(ledger):
    issued = invoice(variable_symbol="77")
    await ledger.deliver(issued)
    await ledger.deliver(bank_movement(external_id="a", variable_symbol="77"))
    tx = await ledger.transaction("a")
    lowered = await ledger.http.post(
        f"/api/v1/transactions/{tx['id']}/corrections", json={"amount": "10", "reason": "x"}
    )
    assert lowered.status_code == 409, "money that pays an invoice is not lowered under it"
    voided = await ledger.http.post(f"/api/v1/transactions/{tx['id']}/void", json={"reason": "x"})
    assert voided.status_code == 201
    assert len(await outbox_events(ledger.db, PaymentUnmatched.routing_key())) == 1
    assert voided.json()["transaction"]["invoice_id"] is None


async def test_suggestions_wait_for_a_user_and_a_rejected_pair_never_returns(ledger):
    client = uuid4()
    paid_before = invoice(client_id=client, variable_symbol="11", total="500.00")
    await ledger.deliver(paid_before)
    await ledger.deliver(bank_movement(external_id="history", variable_symbol="11", amount="500"))
    twin_a = invoice(client_id=client, variable_symbol="21", number="2026-0021")
    twin_b = invoice(client_id=client, variable_symbol="22", number="2026-0022")
    await ledger.deliver(twin_a)
    await ledger.deliver(twin_b)
    await ledger.deliver(bank_movement(external_id="a", message="thanks"))
    tx = await ledger.transaction("a")
    assert tx["invoice_id"] is None, "same amount from a known payer is only a suggestion"

    listed = (await ledger.http.get("/api/v1/matches/suggestions")).json()["items"]
    assert {s["invoice_id"] for s in listed} == {str(twin_a.invoice_id), str(twin_b.invoice_id)}
    assert {s["reason"] for s in listed} == {"known_payer_amount"}
    by_invoice = {s["invoice_id"]: s for s in listed}
    wrong = by_invoice[str(twin_a.invoice_id)]
    right = by_invoice[str(twin_b.invoice_id)]

    rejected = await ledger.http.post(f"/api/v1/matches/suggestions/{wrong['id']}/reject")
    assert rejected.status_code == 200 and rejected.json()["status"] == "rejected"
    [event] = await outbox_events(ledger.db, MatchSuggestionRejected.routing_key())
    assert event.payload.invoice_id == twin_a.invoice_id

    accepted = await ledger.http.post(f"/api/v1/matches/suggestions/{right['id']}/accept")
    assert accepted.status_code == 201, accepted.text
    assert accepted.json()["invoice_id"] == str(twin_b.invoice_id)
    assert accepted.json()["reason"] == "suggestion_accepted"
    assert (
        await ledger.http.post(f"/api/v1/matches/suggestions/{right['id']}/accept")
    ).status_code == 409
    assert (await ledger.http.get("/api/v1/matches/suggestions")).json()["items"] == []

    # Take the payment off again and replay the invoice events: the rejected pair stays gone.
    await ledger.http.delete(f"/api/v1/transactions/{tx['id']}/match")
    await ledger.deliver(twin_a)
    await ledger.deliver(twin_b)
    assert (await ledger.http.get("/api/v1/matches/suggestions")).json()["items"] == []
    stranger = ledger.issuer.headers(uuid4())
    assert (
        await ledger.http.post(
            f"/api/v1/matches/suggestions/{right['id']}/reject", headers=stranger
        )
    ).status_code == 404


async def test_invoice_events_in_any_order(ledger):
    issued = invoice(variable_symbol="31")
    # The cancellation overtakes the issue: the invoice must never become payable.
    await ledger.deliver(InvoiceCancelled(invoice_id=issued.invoice_id, number=issued.number))
    await ledger.deliver(issued)
    await ledger.deliver(bank_movement(external_id="a", variable_symbol="31"))
    assert (await ledger.transaction("a"))["invoice_id"] is None

    paid = invoice(variable_symbol="32", number="2026-0032")
    await ledger.deliver(
        InvoicePaid(
            invoice_id=paid.invoice_id,
            number=paid.number,
            paid_total="1000.00",
            currency="CZK",
            paid_on="2026-02-02",
        )
    )
    await ledger.deliver(paid)
    await ledger.deliver(bank_movement(external_id="b", variable_symbol="32"))
    assert (await ledger.transaction("b"))["invoice_id"] is None, "paid elsewhere: only suggested"
    [suggestion] = (await ledger.http.get("/api/v1/matches/suggestions")).json()["items"]
    assert suggestion["invoice_id"] == str(paid.invoice_id)
