"""The ledger books a bank movement whatever the length of its text, never parks it.

A counterparty, reference or account longer than the ledger's columns made PostgreSQL refuse
the row: the movement was parked and silently missing from the books. Now the ledger cuts each
text to its column with a marker and keeps the whole text in ``raw_data``. (The integrations'
plugins bound the texts at the plugin contract too; this is the ledger's own guard, for any
producer.) Driven through the ledger's consumer and API, on SQLite with the column widths
checked, and on PostgreSQL, which enforces them.
"""

import asyncio
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, date, datetime
from typing import Any

import httpx
import pytest
from sqlalchemy import String

from kasa_contracts import Actor, Envelope
from kasa_contracts.events.integrations import (
    BankAccountRef,
    TransactionImported,
    TransactionUpdated,
)
from kasa_ledger.db.tables import Account, Transaction
from kasa_ledger.main import build
from kasa_servicekit.consumers import handle_event
from kasa_servicekit.ids import new_id
from kasa_servicekit.migrations import upgrade
from kasa_servicekit.service import create_app
from kasa_servicekit.testing import TokenIssuer

MARKER = "…"
COUNTERPARTY = "Společnost " + "s velmi dlouhým jménem " * 217  # over 5,000 characters
MESSAGE = "Platba za služby " * 300
REFERENCE = "REF" + "0123456789" * 50
COUNTERPARTY_ACCOUNT = "19-" + "2000145399" * 20 + "/0800"
EXTERNAL_ID = "fio-" + "x" * 400
PLUGIN = Actor(type="plugin", id="fio", name="Fio banka")


def movement(**overrides: Any) -> TransactionImported:
    fields: dict[str, Any] = dict(
        plugin="fio",
        plugin_version="1.0.0",
        sync_id=uuid.uuid4(),
        account=BankAccountRef(
            provider_account_id="p" * 300, account_number="9" * 300, currency="CZK"
        ),
        external_id=EXTERNAL_ID,
        booking_date=date(2026, 2, 10),
        amount="1000.00",
        direction="income",
        currency="CZK",
        counterparty_name=COUNTERPARTY,
        counterparty_account=COUNTERPARTY_ACCOUNT,
        message=MESSAGE,
        reference=REFERENCE,
        raw={"id": "kept as the bank sent it"},
    )
    return TransactionImported(**(fields | overrides))


def envelope(payload: Any, workspace_id: uuid.UUID) -> Envelope[Any]:
    return Envelope[type(payload)](
        event_id=new_id(),
        event_type=payload.event_type,
        event_version=payload.event_version,
        occurred_at=datetime.now(UTC),
        producer="integrations",
        workspace_id=workspace_id,
        actor=PLUGIN,
        correlation_id="sync-1",
        payload=payload,
    )


@asynccontextmanager
async def ledger_on(url: str, monkeypatch: Any) -> AsyncIterator[Any]:
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("AMQP_URL", "amqp://guest:guest@127.0.0.1:1/")
    spec = build()
    await asyncio.to_thread(upgrade, spec.migrations, url)
    app = create_app(spec)
    issuer = TokenIssuer()
    issuer.install(app)
    workspace_id = uuid.uuid4()
    http = httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),
        base_url="http://ledger",
        headers=issuer.headers(workspace_id),
    )
    runtime = app.state.runtime
    bank_queue = runtime.spec.subscriptions[0]

    async def deliver(payload: Any) -> bool:
        applied: bool = await handle_event(
            runtime.db, bank_queue, envelope(payload, workspace_id), runtime.events
        )
        return applied

    try:
        yield http, deliver
    finally:
        await http.aclose()
        await runtime.db.dispose()


def widths(table: Any) -> dict[str, int]:
    return {
        c.name: c.type.length
        for c in table.__table__.columns
        if isinstance(c.type, String) and c.type.length
    }


async def books_the_whole_movement(http: httpx.AsyncClient, deliver: Any) -> None:
    assert await deliver(movement()) is True, "booked, not parked"
    [booked] = (await http.get("/api/v1/transactions")).json()["items"]
    assert booked["amount"] == "1000.00" and booked["type"] == "income"

    columns = widths(Transaction)
    for name, full in (
        ("counterparty", COUNTERPARTY),
        ("counterparty_account", COUNTERPARTY_ACCOUNT),
        ("reference", REFERENCE),
    ):
        assert len(booked[name]) == columns[name], name
        assert booked[name].endswith(MARKER) and full.startswith(booked[name][:-1]), name
    assert booked["description"] == MESSAGE, "a text column holds the whole message"
    assert len(booked["external_id"]) <= columns["external_id"]
    raw = booked["raw_data"]
    assert raw["id"] == "kept as the bank sent it"
    assert raw["untruncated"]["counterparty_name"] == COUNTERPARTY
    assert raw["untruncated"]["reference"] == REFERENCE
    assert raw["untruncated"]["counterparty_account"] == COUNTERPARTY_ACCOUNT

    [account] = (await http.get("/api/v1/accounts")).json()["items"]
    account_columns = widths(Account)
    for name in ("name", "account_number"):
        assert len(account[name]) <= account_columns[name], name

    # The same movement again is the same movement (its cut id stays its key), and a second
    # long id is another movement: cutting never merges two.
    assert await deliver(movement()) is True
    assert await deliver(movement(external_id=EXTERNAL_ID + "-2")) is True
    assert len((await http.get("/api/v1/transactions")).json()["items"]) == 2

    # The bank restates the movement: found by its cut id and described anew, still whole.
    restated = TransactionUpdated(
        **{**movement(counterparty_name="Nový název " * 100).model_dump(), "changes": {}}
    )
    assert await deliver(restated) is True
    items = (await http.get("/api/v1/transactions")).json()["items"]
    assert len(items) == 2
    [again] = [t for t in items if t["id"] == booked["id"]]
    assert again["counterparty"].startswith("Nový název") and again["counterparty"][-1] == MARKER


async def test_a_5000_character_counterparty_is_booked_on_sqlite(tmp_path, monkeypatch):
    async with ledger_on(f"sqlite+aiosqlite:///{tmp_path}/ledger.db", monkeypatch) as running:
        await books_the_whole_movement(*running)


@pytest.mark.integration
@pytest.mark.asyncio(loop_scope="session")
async def test_a_5000_character_counterparty_is_booked_on_postgresql(fresh_database, monkeypatch):
    async with ledger_on(fresh_database, monkeypatch) as running:
        await books_the_whole_movement(*running)
