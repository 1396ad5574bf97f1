"""An offline, deterministic bank for demos, tests and benchmarks."""

from collections.abc import AsyncIterator
from datetime import date, timedelta
from decimal import Decimal

from kasa_contracts.events.integrations import BankAccountRef
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


def demo_transaction(i: int) -> BankTransaction:
    """The i-th demo transaction; the same i always gives the same transaction."""
    income = i % 5 == 0
    name, account = COUNTERPARTIES[i % len(COUNTERPARTIES)]
    amount = Decimal((i * 7919) % 250_000 + 100) / 100
    return BankTransaction(
        account=ACCOUNT,
        external_id=f"demo-{i:07d}",
        booking_date=FIRST_DAY + timedelta(days=(i * 3) % 330),
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
    name = "demo"
    version = "1.0.0"
    display_name = "Demo bank"
    description = "Offline bank with deterministic transactions, for demos and tests."

    async def sync(self, ctx: SyncContext) -> AsyncIterator[BankTransaction]:
        count = int(ctx.params.get("count") or DEFAULT_COUNT)
        for i in range(count):
            yield demo_transaction(i)
