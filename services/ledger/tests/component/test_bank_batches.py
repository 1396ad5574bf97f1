"""The set-based batch of bank events books exactly what one by one would book."""

import json
from typing import Any
from uuid import uuid4

import pytest
from opentelemetry.context import Context
from sqlalchemy import select

from kasa_contracts import parse_envelope
from kasa_contracts.events.integrations import BankAccountRef, TransactionUpdated
from kasa_contracts.events.ledger import TransactionsBooked
from kasa_ledger.db.tables import Account, MatchSuggestion, PaymentMatch, Transaction
from kasa_servicekit.consumers import apply_each
from kasa_servicekit.tables import outbox
from kasa_servicekit.testing import outbox_events
from kasa_servicekit.tracing import extract_context

from .conftest import (
    Ledger,
    bank_movement,
    day_totals,
    day_totals_from_entries,
    envelope,
    invoice,
    running_ledger,
)
from .test_categories import rule

SAVINGS = BankAccountRef(provider_account_id="77", account_number="77/2010", currency="EUR")


async def one_by_one(ledger: Ledger, events: list[Any]) -> set[Any]:
    async with ledger.db.transaction() as session:
        return await apply_each(
            session, ledger.bank_queue, [(e, Context()) for e in events], ledger.events
        )


async def set_based(ledger: Ledger, events: list[Any]) -> set[Any]:
    bank_queue = ledger.bank_queue
    assert bank_queue.batch_handler is not None
    async with ledger.db.transaction() as session:
        return await bank_queue.batch_handler(
            session, bank_queue, [(e, Context()) for e in events], ledger.events
        )


async def outcome(ledger: Ledger, bank_events: set[Any]) -> dict[str, Any]:
    """What the ledger holds, and the events these bank events caused, with the ledger's own
    fresh ids replaced by what they name."""
    async with ledger.db.sessions() as session:
        accounts = list(await session.scalars(select(Account)))
        txs = list(await session.scalars(select(Transaction)))
        matches = list(await session.scalars(select(PaymentMatch)))
        suggestions = list(await session.scalars(select(MatchSuggestion)))
    names: dict[str, str] = {}
    for account in accounts:
        names[str(account.id)] = f"account {account.bank_ref} {account.currency}"
    for tx in txs:
        names[str(tx.id)] = f"tx {tx.source}/{tx.external_id}/{tx.kind}/{tx.amount}"
    for match in matches:
        names[str(match.id)] = f"match {names[str(match.transaction_id)]} {match.invoice_id}"

    def plain(row: Any, skip: tuple[str, ...] = ("id", "created_at", "decided_at")) -> str:
        columns = {c.key: getattr(row, c.key) for c in row.__table__.columns if c.key not in skip}
        text = json.dumps(columns, default=str, sort_keys=True)
        for fresh, name in names.items():
            text = text.replace(fresh, name)
        return text

    events, booked = [], 0
    for event in await outbox_events(ledger.db):
        if event.causation_id not in bank_events:
            continue
        if isinstance(event.payload, TransactionsBooked):
            # Notices for live views: one per booking one by one, one per workspace per batch.
            booked += event.payload.count
            continue
        text = event.payload.model_dump_json()
        for fresh, name in names.items():
            text = text.replace(fresh, name)
        events.append(
            (event.routing_key, event.causation_id, event.correlation_id, event.actor, text)
        )
    return {
        "accounts": sorted(plain(a) for a in accounts),
        "transactions": sorted(plain(t) for t in txs),
        "matches": sorted(plain(m) for m in matches),
        "suggestions": sorted(plain(s) for s in suggestions),
        "events": sorted(events, key=repr),
        "booked": booked,
    }


@pytest.fixture
async def twins(tmp_path, monkeypatch):
    """Two ledgers with the same workspace, invoices and category rules."""
    workspace_id, invoices = uuid4(), [invoice(variable_symbol="42"), invoice(number="2026-0002")]
    async with (
        running_ledger(f"sqlite+aiosqlite:///{tmp_path}/a.db", monkeypatch, workspace_id) as a,
        running_ledger(f"sqlite+aiosqlite:///{tmp_path}/b.db", monkeypatch, workspace_id) as b,
    ):
        for ledger in (a, b):
            for issued in invoices:
                assert await ledger.deliver(issued)
            await rule(ledger, "rent", description_contains="najem", direction="expense")
        yield a, b


async def test_a_batch_books_the_same_rows_events_and_matches_as_one_by_one(twins):
    each, batched = twins
    ws = each.workspace_id

    def imported(**fields: Any) -> Any:
        return envelope(bank_movement(**fields), ws)

    paid = imported(external_id="a", variable_symbol="42")
    rent = imported(external_id="b", direction="expense", message="Najem unor", amount="18000")
    restated = bank_movement(external_id="b", direction="expense", amount="18500")
    events = [
        paid,
        paid,  # delivered twice
        rent,
        imported(external_id="a", variable_symbol="42"),  # the same movement, a new event
        imported(external_id="c", message="Platba faktury 2026-0002"),  # by invoice number
        imported(external_id="d", amount="1000.00"),  # same payer, same amount: a suggestion?
        envelope(TransactionUpdated(**restated.model_dump()), ws),  # restates "b" in between
        imported(external_id="e", account=SAVINGS, currency="EUR", amount="12.5"),  # new account
        imported(external_id="f", direction="expense", account=SAVINGS, currency="EUR"),
        envelope(bank_movement(external_id="a"), uuid4()),  # another workspace, same key
    ]
    assert await one_by_one(each, events) == await set_based(batched, events)

    ids = {event.event_id for event in events}
    expected, got = await outcome(each, ids), await outcome(batched, ids)
    assert got == expected
    assert len(got["transactions"]) == 8, "a, b and its adjustment, c, d, e, f, the other a"
    assert len(got["matches"]) == 2, "a by its symbol, c by the invoice number"
    assert len(got["accounts"]) == 3
    assert got["booked"] == 7, "each of the 7 recorded is announced"
    assert len(got["events"]) == 14, "3 accounts, 7 recorded, b updated and corrected, 2 matched"
    rent_row = next(t for t in got["transactions"] if "tx fio/b/entry" in t)
    assert '"category": "rent"' in rent_row

    for ledger in (each, batched):
        assert await day_totals(ledger) == await day_totals_from_entries(ledger)

    # Redelivered, the batch changes nothing either way.
    assert await one_by_one(each, events) == await set_based(batched, events) == set()
    assert await outcome(batched, ids) == got


async def test_each_booked_event_continues_the_trace_of_the_bank_event_it_came_from(ledger):
    traces = [f"{n:032x}" for n in (0xA1, 0xB2)]
    events = [
        (envelope(bank_movement(external_id=f"t{n}"), ledger.workspace_id), trace)
        for n, trace in enumerate(traces)
    ]
    bank_queue = ledger.bank_queue
    assert bank_queue.batch_handler is not None
    async with ledger.db.transaction() as session:
        await bank_queue.batch_handler(
            session,
            bank_queue,
            [(e, extract_context({"traceparent": f"00-{t}-{'1' * 16}-01"})) for e, t in events],
            ledger.events,
        )
    async with ledger.db.sessions() as session:
        rows = (await session.execute(select(outbox.c.body, outbox.c.headers))).all()
    traced = {}
    for body, headers in rows:
        event = parse_envelope(body)
        traced[event.causation_id] = headers["traceparent"].split("-")[1]
    assert traced == {e.event_id: t for e, t in events}
