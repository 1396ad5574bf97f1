"""An offline, deterministic bank for demos, tests and benchmarks.

It needs no configuration. Every fifth transaction is an incoming payment; the first of them
pay the demo invoices (``invoice_payments``: variable symbol, amount and currency), so a demo
workspace shows invoices being matched to bank payments.

A run makes at most ``max_count`` transactions (``MAX_COUNT`` unless the operator set a lower
``DEMO_PLUGIN_MAX_COUNT``); a larger count is cut to it and the cut is recorded in the sync's
metadata. A run may start further on (``offset``), so several runs grow one history.
Production offers the demo bank only when the operator asks (``DEMO_PLUGIN_ENABLED``).
"""

from collections.abc import AsyncIterator, Sequence
from datetime import date, timedelta
from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field

from kasa_contracts.events.integrations import BankAccountRef
from kasa_contracts.types import CurrencyCode, PositiveAmount
from kasa_integrations.plugins.base import BankTransaction, Plugin, SyncContext

ACCOUNT = BankAccountRef(
    provider_account_id="demo-main",
    iban="CZ6508000000192000145399",
    account_number="19-2000145399/0800",
    currency="CZK",
)
COUNTERPARTIES = [
    ("Alza.cz a.s.", "2800000002/2010"),
    ("Kavárna Na Rohu s.r.o.", "123456789/0300"),
    ("Nájem Praha 2", "1902345678/0100"),
    ("ČEZ Prodej, a.s.", "35-4337810207/0100"),
    ("Acme Consulting GmbH", "DE89370400440532013000"),
]
FIRST_DAY = date(2026, 1, 1)
DEFAULT_COUNT = 50
MAX_COUNT = 100_000
"""The most transactions one demo run makes: enough for benchmarks, bounded for a shared
service (every row becomes an event, a ledger transaction and an audit entry)."""


class InvoicePayment(BaseModel):
    """A payment of one demo invoice, as the client would send it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    variable_symbol: str = Field(pattern=r"^\d{1,10}$")
    amount: PositiveAmount
    currency: CurrencyCode = "CZK"
    payer: str = "Acme Consulting GmbH"


DEMO_INVOICE_PAYMENTS = (
    InvoicePayment(variable_symbol="20260001", amount=Decimal("12100.00")),
    InvoicePayment(variable_symbol="20260002", amount=Decimal("36300.00")),
    InvoicePayment(variable_symbol="20260003", amount=Decimal("4840.00")),
)
"""The payments of the first demo invoices (numbers 20260001…, totals with 21 % VAT)."""


class DemoSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    count: int = Field(
        default=DEFAULT_COUNT, ge=1, le=MAX_COUNT, description="Transactions per sync"
    )
    invoice_payments: list[InvoicePayment] = Field(
        default_factory=lambda: list(DEMO_INVOICE_PAYMENTS),
        description="Incoming payments of demo invoices, placed among the first incomes",
    )


def demo_transaction(
    i: int, invoice_payments: Sequence[InvoicePayment] = DEMO_INVOICE_PAYMENTS
) -> BankTransaction:
    """The i-th demo transaction; the same i always gives the same transaction."""
    income = i % 5 == 0
    name, account = COUNTERPARTIES[i % len(COUNTERPARTIES)]
    booked = FIRST_DAY + timedelta(days=(i * 3) % 330)
    if income and i // 5 < len(invoice_payments):
        paid = invoice_payments[i // 5]
        return BankTransaction(
            account=ACCOUNT,
            external_id=f"demo-{i:07d}",
            booking_date=booked,
            value_date=booked,
            amount=paid.amount,
            direction="income",
            currency=paid.currency,
            counterparty_name=paid.payer,
            counterparty_account=account,
            message=f"Invoice {paid.variable_symbol}",
            variable_symbol=paid.variable_symbol,
            raw={"demo_index": i, "invoice": paid.variable_symbol},
        )
    amount = Decimal((i * 7919) % 250_000 + 100) / 100
    return BankTransaction(
        account=ACCOUNT,
        external_id=f"demo-{i:07d}",
        booking_date=booked,
        value_date=booked,
        amount=amount,
        direction="income" if income else "expense",
        currency="CZK",
        counterparty_name=name,
        counterparty_account=account,
        message=f"Payment {i}" if income else f"Purchase {i}",
        variable_symbol=f"{2026000000 + i}" if income else None,
        raw={"demo_index": i},
    )


class DemoBank(Plugin):
    """The reference plugin: read it first when writing a new one."""

    name = "demo"
    version = "1.0.0"
    display_name = "Demo bank"
    description = "Offline bank with deterministic transactions, for demos and tests."
    Settings = DemoSettings

    def __init__(self, max_count: int = MAX_COUNT) -> None:
        if not 1 <= max_count <= MAX_COUNT:
            raise ValueError(f"the demo bank makes between 1 and {MAX_COUNT} transactions a run")
        self.max_count = max_count

    async def sync(self, ctx: SyncContext) -> AsyncIterator[BankTransaction]:
        settings: DemoSettings = ctx.settings
        # A run may ask for a number of transactions ({"count": N}); else the setting decides.
        requested = int(ctx.params.get("count") or settings.count)
        count = min(requested, self.max_count)
        if count < requested:
            ctx.metadata["count_capped"] = {"requested": requested, "made": count}
        # {"offset": K} starts at the K-th transaction, so runs can grow one workspace's
        # history past a run's cap; the same offset brings the same transactions again.
        first = int(ctx.params.get("offset") or 0)
        ctx.progress(total=count)
        for i in range(first, first + count):
            yield demo_transaction(i, settings.invoice_payments)
        ctx.state["last_count"] = max(first + count, int(ctx.state.get("last_count", 0)))
