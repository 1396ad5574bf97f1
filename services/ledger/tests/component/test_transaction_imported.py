from datetime import date
from decimal import Decimal
from uuid import uuid4

from sqlalchemy import select

from kasa_contracts.events.ledger import TransactionRecorded
from kasa_ledger.db.tables import Account, Transaction
from kasa_servicekit.testing import outbox_events

from .conftest import bank_movement


async def booked(db):
    async with db.sessions() as session:
        return list(await session.scalars(select(Transaction)))


async def test_an_import_is_booked_with_exact_amount_symbols_and_account(ledger):
    movement = bank_movement(
        external_id="fio-1", amount="1500.50", variable_symbol="0000123", message="Faktura"
    )
    assert await ledger.deliver(movement)
    [tx] = await booked(ledger.db)
    assert (tx.workspace_id, tx.source, tx.external_id) == (ledger.workspace_id, "fio", "fio-1")
    assert tx.amount == Decimal("1500.50")
    assert tx.variable_symbol == "0000123", "symbols keep their leading zeros"
    assert (tx.type, tx.currency, tx.counterparty) == ("income", "CZK", "Acme s.r.o.")

    [recorded] = await outbox_events(ledger.db, TransactionRecorded.routing_key())
    assert recorded.payload.transaction_id == tx.id
    assert recorded.correlation_id == "test"
    assert recorded.actor.id == "fio"

    async with ledger.db.sessions() as session:
        [account] = list(await session.scalars(select(Account)))
    assert tx.account_id == account.id
    assert (account.iban, account.currency, account.kind) == (
        "CZ6508000000192000145399",
        "CZK",
        "bank",
    )


async def test_the_same_bank_movement_is_never_booked_twice(ledger):
    first = bank_movement(external_id="fio-1")
    again = bank_movement(external_id="fio-1", booking_date=date(2026, 3, 1))
    assert await ledger.deliver(first)
    assert await ledger.deliver(again), "a new event id passes the inbox…"
    assert len(await booked(ledger.db)) == 1, "…but not the natural key"
    assert len(await outbox_events(ledger.db, TransactionRecorded.routing_key())) == 1


async def test_the_natural_key_is_per_workspace_and_source_and_accounts_are_shared(ledger):
    await ledger.deliver(bank_movement(external_id="fio-1"))
    await ledger.deliver(bank_movement(external_id="fio-1"), workspace_id=uuid4())
    await ledger.deliver(bank_movement(external_id="fio-2"))
    assert len(await booked(ledger.db)) == 3
    async with ledger.db.sessions() as session:
        accounts = list(await session.scalars(select(Account)))
    assert len(accounts) == 2, "one bank account per workspace, however many imports name it"
