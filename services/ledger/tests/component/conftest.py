"""The ledger as it runs: its migrated SQLite database, its real app, and event builders."""

import asyncio
from collections import defaultdict
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID, uuid4

import httpx
import pytest
from sqlalchemy import select

from kasa_contracts import Actor, Envelope, EventPayload
from kasa_contracts.events.integrations import BankAccountRef, TransactionImported
from kasa_contracts.events.invoicing import InvoiceIssued
from kasa_ledger.db.tables import AccountDay, FlowDay, Transaction
from kasa_ledger.main import build
from kasa_servicekit.consumers import Subscription, handle_event
from kasa_servicekit.ids import new_id
from kasa_servicekit.migrations import upgrade
from kasa_servicekit.service import create_app
from kasa_servicekit.testing import TokenIssuer

PLUGIN = Actor(type="plugin", id="fio", name="Fio banka")
INVOICING = Actor(type="user", id="invoice-author")


def envelope(payload: EventPayload, workspace_id: UUID, actor: Actor = PLUGIN) -> Envelope[Any]:
    return Envelope[type(payload)](
        event_id=new_id(),
        event_type=payload.event_type,
        event_version=payload.event_version,
        occurred_at=datetime.now(UTC),
        producer=payload.event_type.split(".")[0],
        workspace_id=workspace_id,
        actor=actor,
        correlation_id="test",
        payload=payload,
    )


def bank_movement(**overrides: Any) -> TransactionImported:
    fields: dict[str, Any] = dict(
        plugin="fio",
        plugin_version="1.0.0",
        sync_id=uuid4(),
        account=BankAccountRef(
            provider_account_id="2000145399", iban="CZ6508000000192000145399", currency="CZK"
        ),
        external_id=f"fio-{uuid4().hex[:12]}",
        booking_date=date(2026, 2, 10),
        amount="1000.00",
        direction="income",
        currency="CZK",
        counterparty_name="Acme s.r.o.",
        counterparty_account="123456789/0100",
    )
    return TransactionImported(**(fields | overrides))


def invoice(**overrides: Any) -> InvoiceIssued:
    fields: dict[str, Any] = dict(
        invoice_id=uuid4(),
        number="2026-0001",
        variable_symbol="20260001",
        client_id=uuid4(),
        client_name="Acme s.r.o.",
        total="1000.00",
        currency="CZK",
        issue_date=date(2026, 2, 1),
        due_date=date(2026, 2, 15),
    )
    return InvoiceIssued(**(fields | overrides))


class Ledger:
    """The running ledger: its app over HTTP, its database, its queues."""

    def __init__(self, app: Any, issuer: TokenIssuer, workspace_id: UUID) -> None:
        self.app = app
        self.db = app.state.runtime.db
        self.events = app.state.runtime.events
        bank_queue, invoice_queue = app.state.runtime.spec.subscriptions
        self.bank_queue: Subscription = bank_queue
        self.invoice_queue: Subscription = invoice_queue
        self.issuer = issuer
        self.workspace_id = workspace_id
        self.http = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app),
            base_url="http://ledger",
            headers=issuer.headers(workspace_id),
        )

    async def deliver(self, payload: EventPayload, workspace_id: UUID | None = None) -> bool:
        invoicing = payload.event_type.startswith("invoicing.")
        queue = self.invoice_queue if invoicing else self.bank_queue
        actor = INVOICING if invoicing else PLUGIN
        return await handle_event(
            self.db, queue, envelope(payload, workspace_id or self.workspace_id, actor), self.events
        )

    async def transaction(self, external_id: str) -> dict[str, Any]:
        page = (await self.http.get("/api/v1/transactions", params={"limit": 500})).json()
        [found] = [t for t in page["items"] if t["external_id"] == external_id]
        return found


async def day_totals(ledger: Ledger) -> dict[str, dict[tuple[Any, ...], Any]]:
    """The accounts' days and the flow days, as bookings and category changes kept them."""
    async with ledger.db.sessions() as session:
        accounts = {
            (d.account_id, d.day, d.currency): (d.income, d.expense)
            for d in await session.scalars(select(AccountDay))
        }
        flows = {
            (f.workspace_id, f.day, f.currency, f.type, f.category): f.total
            for f in await session.scalars(select(FlowDay))
            if f.total
        }
    return {"accounts": accounts, "flows": flows}


async def day_totals_from_entries(ledger: Ledger) -> dict[str, dict[tuple[Any, ...], Any]]:
    """The same, added up from every entry as it is now: what a report would scan."""
    accounts: dict[tuple[Any, ...], tuple[Decimal, Decimal]] = {}
    flows: dict[tuple[Any, ...], Decimal] = defaultdict(Decimal)
    async with ledger.db.sessions() as session:
        for tx in await session.scalars(select(Transaction)):
            key = (tx.workspace_id, tx.transacted_on, tx.currency, tx.type, tx.category or "")
            flows[key] += tx.amount
            if tx.account_id is None:
                continue
            day = (tx.account_id, tx.transacted_on, tx.currency)
            income, expense = accounts.get(day, (Decimal(0), Decimal(0)))
            if tx.type == "income":
                income += tx.amount
            else:
                expense += tx.amount
            accounts[day] = (income, expense)
    return {"accounts": accounts, "flows": {k: v for k, v in flows.items() if v}}


@asynccontextmanager
async def running_ledger(url: str, monkeypatch: Any, workspace_id: UUID) -> AsyncIterator[Ledger]:
    """A ledger on its own migrated SQLite database at ``url``."""
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("AMQP_URL", "amqp://guest:guest@127.0.0.1:1/")  # no broker needed
    spec = build()
    # Alembic runs its own event loop; the real migrations build the schema under test.
    await asyncio.to_thread(upgrade, spec.migrations, url)
    app = create_app(spec)
    issuer = TokenIssuer()
    issuer.install(app)
    running = Ledger(app, issuer, workspace_id)
    try:
        yield running
    finally:
        await running.http.aclose()
        await running.db.dispose()


@pytest.fixture
async def ledger(tmp_path, monkeypatch):
    async with running_ledger(
        f"sqlite+aiosqlite:///{tmp_path}/ledger.db", monkeypatch, uuid4()
    ) as running:
        yield running
