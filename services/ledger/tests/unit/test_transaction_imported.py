from datetime import UTC, date, datetime
from decimal import Decimal
from uuid import uuid4

import pytest
from sqlalchemy import select

from kasa_contracts import Actor, Envelope
from kasa_contracts.events.integrations import BankAccountRef, TransactionImported
from kasa_contracts.events.ledger import TransactionRecorded
from kasa_ledger.db.tables import Transaction, metadata
from kasa_ledger.main import SUBSCRIPTIONS
from kasa_servicekit.consumers import handle_event
from kasa_servicekit.ids import new_id
from kasa_servicekit.testing import outbox_events, sqlite_database

WORKSPACE = uuid4()
SUBSCRIPTION = SUBSCRIPTIONS[0]


@pytest.fixture
async def db(tmp_path):
    async with sqlite_database(tmp_path, metadata) as database:
        yield database


def imported(external_id: str = "fio-1", amount: str = "1500.50", vs: str | None = "0000123"):
    payload = TransactionImported(
        plugin="fio",
        plugin_version="1.0.0",
        sync_id=uuid4(),
        account=BankAccountRef(
            provider_account_id="2000145399", iban="CZ6508000000192000145399", currency="CZK"
        ),
        external_id=external_id,
        booking_date=date(2026, 1, 31),
        amount=amount,
        direction="income",
        currency="CZK",
        counterparty_name="Acme s.r.o.",
        message="Faktura 2026-0001",
        variable_symbol=vs,
    )
    return Envelope[TransactionImported](
        event_id=new_id(),
        event_type=payload.event_type,
        event_version=1,
        occurred_at=datetime.now(UTC),
        producer="integrations",
        workspace_id=WORKSPACE,
        actor=Actor(type="plugin", id="fio", name="Fio banka"),
        correlation_id="sync-1",
        payload=payload,
    )


async def booked(db):
    async with db.sessions() as session:
        return list(await session.scalars(select(Transaction)))


async def test_an_import_is_booked_with_exact_amount_and_symbols(db):
    event = imported()
    assert await handle_event(db, SUBSCRIPTION, event)
    [tx] = await booked(db)
    assert (tx.workspace_id, tx.source, tx.external_id) == (WORKSPACE, "fio", "fio-1")
    assert tx.amount == Decimal("1500.50")
    assert tx.variable_symbol == "0000123", "symbols keep their leading zeros"
    assert (tx.type, tx.currency, tx.counterparty) == ("income", "CZK", "Acme s.r.o.")

    [recorded] = await outbox_events(db, TransactionRecorded.routing_key())
    assert recorded.payload.transaction_id == tx.id
    assert recorded.causation_id == event.event_id
    assert recorded.correlation_id == "sync-1"
    assert recorded.actor.id == "fio"


async def test_the_same_bank_movement_is_never_booked_twice(db):
    first, again_with_new_event_id = imported(), imported()
    await handle_event(db, SUBSCRIPTION, first)
    await handle_event(db, SUBSCRIPTION, first)
    await handle_event(db, SUBSCRIPTION, again_with_new_event_id)
    assert len(await booked(db)) == 1
    assert len(await outbox_events(db)) == 1


async def test_the_natural_key_is_per_workspace_and_source(db):
    other = imported()
    other = other.model_copy(update={"workspace_id": uuid4()})
    await handle_event(db, SUBSCRIPTION, imported())
    await handle_event(db, SUBSCRIPTION, other)
    assert len(await booked(db)) == 2
