"""The ledger's reads as a workspace grows: 10,000 transactions, then 1,000,000, on PostgreSQL.

    uv run python tests/perf/bench_ledger_reads.py [--small 10000] [--large 1000000]

One workspace, one bank account, the transactions spread over the same two years at both
sizes (five expenses to one income, four categories), written straight into the ledger's
migrated database with ``COPY``, and the day totals (accounts' days, flow days) added up as
the migration that introduced them adds them. The reads go through the ledger's real app (in
process, over ASGI, with a signed token), each run ``--repeat`` times after one warm-up, and
the median is reported:

- the accounts list with their balances (``GET /api/v1/accounts``);
- the cash-flow report over the two years (``GET /api/v1/reports/cash-flow``);
- the transaction list's first page and a page deep in it (a cursor at the middle);
- the net-worth series (``GET /api/v1/reports/net-worth``, month ends of the two years).

Prints each read's time at both sizes and the ratio; asserts nothing about speed.
"""

import argparse
import asyncio
import os
import statistics
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import asyncpg
import httpx

from kasa_localstack import infra
from kasa_servicekit.migrations import upgrade
from kasa_servicekit.pagination import _encode

START = date(2025, 1, 1)
DAYS = 730
CATEGORIES = ("rent", "software", "travel", None)


def rows(workspace: uuid.UUID, account: uuid.UUID, first: int, count: int, total: int) -> Any:
    now = datetime.now(UTC)
    for i in range(first, first + count):
        income = i % 6 == 0
        yield (
            uuid.uuid4(),
            workspace,
            "demo",
            f"demo-{i:07d}",
            "income" if income else "expense",
            Decimal("12100.00") if income else Decimal(100 + i % 900),
            "CZK",
            START + timedelta(days=i * DAYS // total),
            f"payment {i}",
            "Acme s.r.o.",
            account,
            None if income else CATEGORIES[i % len(CATEGORIES)],
            "entry",
            "{}",
            now,
        )


COLUMNS = (
    "id",
    "workspace_id",
    "source",
    "external_id",
    "type",
    "amount",
    "currency",
    "transacted_on",
    "description",
    "counterparty",
    "account_id",
    "category",
    "kind",
    "raw_data",
    "created_at",
)

DAYS_FROM_ENTRIES = """
    INSERT INTO account_days (account_id, day, currency, workspace_id, income, expense)
    SELECT account_id, transacted_on, currency, workspace_id,
           SUM(CASE WHEN type = 'income' THEN amount ELSE 0 END),
           SUM(CASE WHEN type = 'income' THEN 0 ELSE amount END)
    FROM transactions WHERE account_id IS NOT NULL
    GROUP BY account_id, transacted_on, currency, workspace_id;
    INSERT INTO flow_days (workspace_id, day, currency, type, category, total)
    SELECT workspace_id, transacted_on, currency, type, COALESCE(category, ''), SUM(amount)
    FROM transactions
    GROUP BY workspace_id, transacted_on, currency, type, COALESCE(category, '')
"""


async def seed(url: str, workspace: uuid.UUID, account: uuid.UUID, count: int) -> None:
    pg = await asyncpg.connect(url)
    try:
        await pg.execute("TRUNCATE account_days, flow_days, transactions CASCADE")
        await pg.execute(
            "INSERT INTO accounts (id, workspace_id, name, kind, bank_ref, currency, "
            "opening_balance, created_at) VALUES ($1, $2, 'Main', 'bank', 'demo-main', 'CZK', "
            "0, now()) ON CONFLICT DO NOTHING",
            account,
            workspace,
        )
        chunk = 100_000
        for first in range(0, count, chunk):
            await pg.copy_records_to_table(
                "transactions",
                records=list(rows(workspace, account, first, min(chunk, count - first), count)),
                columns=COLUMNS,
            )
        await pg.execute(DAYS_FROM_ENTRIES)
        await pg.execute("ANALYZE")
    finally:
        await pg.close()


async def timed(http: httpx.AsyncClient, path: str, params: dict[str, Any], repeat: int) -> float:
    response = await http.get(path, params=params)
    assert response.status_code == 200, response.text
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        response = await http.get(path, params=params)
        samples.append(time.perf_counter() - started)
        assert response.status_code == 200, response.text
    return statistics.median(samples) * 1000


async def measure(http: httpx.AsyncClient, count: int, repeat: int) -> dict[str, float]:
    end = START + timedelta(days=DAYS - 1)
    period = {"from": START.isoformat(), "to": end.isoformat()}
    # A cursor at the middle of the list (newest first: the middle day, its greatest id).
    middle = START + timedelta(days=DAYS // 2)
    deep = _encode([middle.isoformat(), "ffffffff-ffff-ffff-ffff-ffffffffffff"])
    return {
        "accounts with balances": await timed(http, "/api/v1/accounts", {}, repeat),
        "cash flow, two years": await timed(http, "/api/v1/reports/cash-flow", period, repeat),
        "transactions, first page": await timed(
            http, "/api/v1/transactions", {"limit": 50}, repeat
        ),
        "transactions, deep cursor": await timed(
            http, "/api/v1/transactions", {"limit": 50, "cursor": deep}, repeat
        ),
        "net worth, 24 month ends": await timed(
            http, "/api/v1/reports/net-worth", {**period, "interval": "month"}, repeat
        ),
    }


async def run(args: argparse.Namespace, pg_admin: str) -> None:
    name = f"kasa_bench_reads_{uuid.uuid4().hex[:8]}"
    await infra.create_databases(pg_admin, [name])
    url = infra.database_url(pg_admin, name)
    os.environ |= {"DATABASE_URL": url, "AMQP_URL": "amqp://guest:guest@127.0.0.1:1/"}
    from kasa_ledger.main import build
    from kasa_servicekit.service import create_app
    from kasa_servicekit.testing import TokenIssuer

    spec = build()
    await asyncio.to_thread(upgrade, spec.migrations, url)
    app = create_app(spec)
    issuer = TokenIssuer()
    issuer.install(app)
    workspace, account = uuid.uuid4(), uuid.uuid4()
    raw_url = url.replace("+asyncpg", "")
    results: dict[int, dict[str, float]] = {}
    try:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app),
            base_url="http://ledger",
            headers=issuer.headers(workspace),
            timeout=600,
        ) as http:
            for count in (args.small, args.large):
                started = time.perf_counter()
                await seed(raw_url, workspace, account, count)
                print(f"seeded {count:,} transactions in {time.perf_counter() - started:.0f} s")
                results[count] = await measure(http, count, args.repeat)
    finally:
        await app.state.runtime.db.dispose()
        await infra.drop_databases(pg_admin, [name])
    small, large = results[args.small], results[args.large]
    print(f"\n{'read':<28}{args.small:>12,} ms{args.large:>12,} ms{'ratio':>8}")
    for read in small:
        print(
            f"{read:<28}{small[read]:>15.1f}{large[read]:>15.1f}{large[read] / small[read]:>8.2f}"
        )
    print(f"\n{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--small", type=int, default=10_000)
    parser.add_argument("--large", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    pg_admin = infra.ensure_postgres(os.environ.get("PG_ADMIN_URL", infra.DEFAULT_PG_ADMIN_URL))
    asyncio.run(run(args, pg_admin))


if __name__ == "__main__":
    main()
