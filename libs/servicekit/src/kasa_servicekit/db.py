"""Async SQLAlchemy engine and sessions for SQLite (embedded default) and PostgreSQL."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import BigInteger, DateTime, Dialect, Numeric, String, Table, event, text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.types import TypeDecorator, TypeEngine
from sqlalchemy.util import await_

MONEY_SCALE = 4
_MONEY_FACTOR = Decimal(10) ** MONEY_SCALE


class Money(TypeDecorator[Decimal]):
    """An exact amount on every backend.

    PostgreSQL stores ``NUMERIC(20, 4)``; SQLite has no exact decimal type, so there the
    amount is stored as an integer count of 1/10000 units. Sums stay exact on both.
    """

    impl = Numeric(20, MONEY_SCALE)
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "sqlite":
            return dialect.type_descriptor(BigInteger())
        return dialect.type_descriptor(Numeric(20, MONEY_SCALE, asdecimal=True))

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        if value is None:
            return None
        if isinstance(value, float):
            raise TypeError("money must be a Decimal, never a float")
        amount = Decimal(value)
        scaled = amount * _MONEY_FACTOR
        if scaled != scaled.to_integral_value():
            raise ValueError(f"{amount} has more than {MONEY_SCALE} decimal places")
        return int(scaled) if dialect.name == "sqlite" else amount

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        if value is None:
            return None
        if dialect.name == "sqlite":
            return Decimal(int(value)) / _MONEY_FACTOR
        return Decimal(value)


class MoneyTotal(TypeDecorator[Decimal]):
    """A running sum of amounts, exact however large it grows.

    PostgreSQL stores an unconstrained ``NUMERIC``. SQLite's integers end at 64 bits (about
    9.2e14 in 1/10000 units), which a day's total may pass, so there it is the decimal's text;
    add to it in Python, never in SQL.
    """

    impl = Numeric(asdecimal=True)
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "sqlite":
            return dialect.type_descriptor(String(64))
        return dialect.type_descriptor(Numeric(asdecimal=True))

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        if value is None:
            return None
        if isinstance(value, float):
            raise TypeError("money must be a Decimal, never a float")
        return str(Decimal(value)) if dialect.name == "sqlite" else Decimal(value)

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        return None if value is None else Decimal(value)


class UtcDateTime(TypeDecorator[datetime]):
    """A timestamp that is always timezone-aware UTC, also on SQLite."""

    impl = DateTime(timezone=True)
    cache_ok = True

    @property
    def python_type(self) -> type[datetime]:
        return datetime

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are not stored; use UTC")
        return value.astimezone(UTC)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def utcnow() -> datetime:
    return datetime.now(UTC)


def _prepare_sqlite(url: str) -> None:
    database = make_url(url).database
    if database and database != ":memory:":
        Path(database).parent.mkdir(parents=True, exist_ok=True)


class _ExactSum:
    """``sum()`` over Python's integers: SQLite's own raises "integer overflow" past 64 bits,
    which amounts in 1/10000 units reach at about 9.2e14. A total beyond 64 bits is
    returned as its decimal text, which ``Money`` reads as exactly as an integer."""

    def __init__(self) -> None:
        self.total: Any = None

    def step(self, value: Any) -> None:
        if value is not None:
            self.total = value if self.total is None else self.total + value

    def finalize(self) -> Any:
        if isinstance(self.total, int) and not -(2**63) <= self.total < 2**63:
            return str(self.total)
        return self.total


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # SQLite lets an application replace a built-in function; every sum() is then exact.
    # aiosqlite offers no create_aggregate, so it runs on the connection's own thread.
    driver = dbapi_connection.driver_connection
    await_(driver._execute(driver._conn.create_aggregate, "sum", 1, _ExactSum))
    cursor = dbapi_connection.cursor()
    # WAL lets readers run beside the single writer; the busy timeout makes a second writer
    # wait for the lock instead of failing.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


class Database:
    """One service's database: an engine and a session factory."""

    def __init__(self, url: str, *, echo: bool = False) -> None:
        self.url = url
        self.dialect = make_url(url).get_backend_name()
        kwargs: dict[str, Any] = {"echo": echo}
        if self.dialect == "sqlite":
            _prepare_sqlite(url)
        else:
            kwargs |= {"pool_size": 10, "max_overflow": 10, "pool_pre_ping": True}
        self.engine: AsyncEngine = create_async_engine(url, **kwargs)
        if self.dialect == "sqlite":
            event.listen(self.engine.sync_engine, "connect", _sqlite_pragmas)
        self.sessions = async_sessionmaker(self.engine, expire_on_commit=False)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """A session inside one transaction: committed on success, rolled back on error."""
        async with self.sessions() as session, session.begin():
            yield session

    async def ping(self) -> None:
        async with self.engine.connect() as conn:
            await conn.execute(text("SELECT 1"))

    async def dispose(self) -> None:
        await self.engine.dispose()


def dialect_insert(session: AsyncSession, table: Any) -> Any:
    """``INSERT`` with the backend's ``ON CONFLICT`` clauses (PostgreSQL's or SQLite's)."""
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    return insert(table)


async def insert_if_absent(
    session: AsyncSession, table: Table, values: dict[str, Any], unique: list[str]
) -> bool:
    """Insert a row unless one with the same ``unique`` columns exists; True if inserted.

    Safe under concurrency on both backends (``INSERT … ON CONFLICT DO NOTHING``).
    """
    stmt = dialect_insert(session, table).values(**values)
    stmt = stmt.on_conflict_do_nothing(index_elements=unique)
    result = await session.execute(stmt)
    return bool(result.rowcount)  # type: ignore[attr-defined]
