from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import Column, Integer, MetaData, Table, func, insert, select
from sqlalchemy.exc import StatementError

from kasa_servicekit.db import Database, Money

metadata = MetaData()
amounts = Table("amounts", metadata, Column("id", Integer, primary_key=True), Column("v", Money))


@pytest.fixture
async def money_db(tmp_path: Path):
    database = Database(f"sqlite+aiosqlite:///{tmp_path}/money.db")
    async with database.engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
    yield database
    await database.dispose()


async def test_amounts_and_their_sum_stay_exact_on_sqlite(money_db):
    values = [Decimal("0.10")] * 10 + [Decimal("1234567890.1234"), Decimal("0.0001")]
    async with money_db.transaction() as session:
        await session.execute(insert(amounts), [{"v": v} for v in values])
    async with money_db.sessions() as session:
        stored = list(await session.scalars(select(amounts.c.v).order_by(amounts.c.id)))
        total = await session.scalar(select(func.sum(amounts.c.v)))
    assert stored == values
    assert total == sum(values) == Decimal("1234567891.1235")


@pytest.mark.parametrize("bad", [0.1, Decimal("0.00001")])
async def test_floats_and_excess_precision_are_refused(money_db, bad):
    with pytest.raises(StatementError):
        async with money_db.transaction() as session:
            await session.execute(insert(amounts).values(v=bad))
