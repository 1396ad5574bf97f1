"""The rate limits counted in the gateway's database, so that N instances enforce one budget.

A key's window is one row of ``rate_limit_windows``, and a hit is one atomic statement on
PostgreSQL and SQLite alike, with nothing read before it is written:

    INSERT … VALUES (name, key, now, now + window, n) ON CONFLICT (name, key) DO UPDATE SET
    hits = CASE WHEN window_end <= now THEN n ELSE hits + n END, (window_start, window_end
    likewise) RETURNING hits, window_end

The row is locked while the statement decides, so two instances can neither both start a
window nor both take the last hit of one. Rows of ended windows are deleted in bounded batches
(``sweep_ended``).
"""

import asyncio
import hashlib
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import BigInteger, Integer, String, bindparam, case, delete, select, tuple_
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from kasa_gateway.db.tables import RateLimitWindow
from kasa_gateway.domain.rate_limits import decision, lease_size, reset_after
from kasa_servicekit.db import Database
from kasa_servicekit.rate_limits import Decision, RateLimiter

log = logging.getLogger(__name__)

_windows: Any = RateLimitWindow.__table__
_KEY_LENGTH = 128
# What a database that cannot be reached raises: the driver's errors through SQLAlchemy, the
# socket's own when no connection can be made at all, and our own deadline or the pool's.
_UNREACHABLE = (DBAPIError, OSError, TimeoutError, PoolTimeout)
_DEADLINE = 2.0
"""Seconds a statement may take before the instance counts on its own instead."""
_OFFLINE_FOR = 5.0
"""Seconds the instance counts on its own after the database failed it, before trying again:
during an outage, requests do not each wait for a connection that will not come."""
_WARN_EVERY = 60.0


def stored_key(key: str) -> str:
    """``key`` as the table keeps it: a key longer than the column (an address with a long
    email) is kept as its SHA-256."""
    if len(key) <= _KEY_LENGTH:
        return key
    return "sha256:" + hashlib.sha256(key.encode()).hexdigest()


def _claim_statement(dialect: str) -> Any:
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    wanted = bindparam("wanted", type_=Integer)
    now = bindparam("now", type_=BigInteger)
    end = bindparam("end", type_=BigInteger)
    statement = insert(_windows).values(
        name=bindparam("name", type_=String),
        key=bindparam("key", type_=String),
        window_start=now,
        window_end=end,
        hits=wanted,
    )
    ended = _windows.c.window_end <= now
    # Every right-hand side sees the row as it was: an ended window starts again whole.
    return statement.on_conflict_do_update(
        index_elements=[_windows.c.name, _windows.c.key],
        set_={
            "hits": case((ended, wanted), else_=_windows.c.hits + wanted),
            "window_start": case((ended, now), else_=_windows.c.window_start),
            "window_end": case((ended, end), else_=_windows.c.window_end),
        },
    ).returning(_windows.c.hits, _windows.c.window_end)


@dataclass
class _Lease:
    """What this instance knows of a key's current window."""

    end: int
    """When the window ends, in seconds since the epoch."""
    unused: int = 0
    """Hits claimed in the database and not used yet."""
    counted: int = 0
    """The window's count in the database at the last claim, this instance's unused included."""
    claims: int = 0
    full: bool = False
    """The database has handed out the window's last hit: nothing more until it ends."""


class SharedRateLimiter:
    """A ``Limiter`` counting in ``rate_limit_windows``, shared by every gateway instance.

    With ``lease`` 1 each hit is one statement and the count is exact across instances. With a
    larger ``lease`` (the API limit, which every request passes) an instance claims up to
    that many hits of a key's window at once (``lease_size``: 1, 2, 4, … as the key keeps
    coming) and lets them through without a statement. A claimed hit is counted before it is
    used, so the instances together never let more than ``limit`` through a window; hits an
    instance holds when the client goes to another are lost for that window, at most
    ``lease`` per instance. ``RateLimit-Remaining`` is this instance's view: exact with one
    instance, and not counting what the others hold.

    While the database cannot be reached (or takes longer than ``_DEADLINE``), the instance
    counts in its own memory (a budget per instance, as before the limits were shared) rather
    than turn every request away or keep it waiting.
    """

    def __init__(
        self,
        db: Database,
        name: str,
        limit: int,
        window: int = 60,
        *,
        lease: int = 1,
        clock: Callable[[], float] = time.time,
        max_keys: int = 100_000,
        deadline: float = _DEADLINE,
    ) -> None:
        if limit < 1 or window < 1 or lease < 1:
            raise ValueError("a rate limit needs a positive budget, window and lease")
        self.db = db
        self.name = name
        self._limit = limit
        self._window = window
        self.lease = lease
        self.clock = clock
        self.max_keys = max_keys
        self.deadline = deadline
        self._claim = _claim_statement(db.dialect)
        self._leases: dict[str, _Lease] = {}
        self._fallback = RateLimiter(limit, window=window, max_keys=max_keys)
        self._offline_until = 0.0
        self._warned_at = -_WARN_EVERY

    @property
    def limit(self) -> int:
        return self._limit

    @property
    def window(self) -> int:
        return self._window

    async def hit(self, key: str) -> Decision:
        now = self.clock()
        lease = self._leases.get(key)
        if lease is not None and now < lease.end:
            if lease.unused:
                lease.unused -= 1
                return self._allowed(lease, now)
            if lease.full:
                return Decision(False, self.limit, 0, reset_after(lease.end, now))
            claims = lease.claims
        else:
            claims = 0
        if time.monotonic() < self._offline_until:
            return self._fallback.hit(key)
        wanted = lease_size(self.limit, claims, self.lease)
        try:
            async with asyncio.timeout(self.deadline):
                hits, end = await self._count(key, now, wanted)
        except _UNREACHABLE:
            self._offline()
            return self._fallback.hit(key)
        # Another hit of this key may have claimed meanwhile, or another instance started a
        # new window: the lease is the one of the window the database answered for.
        lease = self._leases.get(key)
        if lease is None or lease.end != end:
            lease = self._new_lease(key, end)
        lease.claims += 1
        # Hits past the limit were counted but are not granted.
        granted = max(0, wanted - max(0, hits - self.limit))
        lease.counted = max(lease.counted, min(hits, self.limit))
        lease.full = lease.full or lease.counted >= self.limit
        if not granted:
            return Decision(False, self.limit, 0, reset_after(end, now))
        lease.unused += granted - 1
        return self._allowed(lease, now)

    async def peek(self, keys: Sequence[str]) -> list[Decision]:
        if not keys:
            return []
        now = self.clock()
        stored = {stored_key(key): key for key in keys}
        query = select(_windows.c.key, _windows.c.hits, _windows.c.window_end).where(
            _windows.c.name == self.name,
            _windows.c.key.in_(list(stored)),
            _windows.c.window_end > int(now),
        )
        if time.monotonic() < self._offline_until:
            return [self._fallback.peek(key) for key in keys]
        try:
            async with asyncio.timeout(self.deadline), self.db.engine.connect() as connection:
                rows = (await connection.execute(query)).all()
        except _UNREACHABLE:
            self._offline()
            return [self._fallback.peek(key) for key in keys]
        windows = {stored[key]: (int(hits), int(end)) for key, hits, end in rows}
        found = []
        for key in keys:
            hits, end = windows.get(key, (0, int(now) + self.window))
            lease = self._leases.get(key)
            unused = lease.unused if lease is not None and lease.end == end else 0
            used = max(0, min(hits, self.limit) - unused)
            found.append(decision(self.limit, used, end, now))
        return found

    def _allowed(self, lease: _Lease, now: float) -> Decision:
        remaining = self.limit - lease.counted + lease.unused
        return Decision(True, self.limit, remaining, reset_after(lease.end, now))

    async def _count(self, key: str, now: float, wanted: int) -> tuple[int, int]:
        """Claim ``wanted`` hits of ``key``'s window: the window's count after the claim and
        when the window ends."""
        start = int(now)
        values = {
            "name": self.name,
            "key": stored_key(key),
            "now": start,
            "end": start + self.window,
            "wanted": wanted,
        }
        async with self.db.engine.begin() as connection:
            hits, end = (await connection.execute(self._claim, values)).one()
        return int(hits), int(end)

    def _new_lease(self, key: str, end: int) -> _Lease:
        if key not in self._leases and len(self._leases) >= self.max_keys:
            # Forgetting a lease only loses the hits it held, so memory stays bounded whatever
            # keys clients make up, and no budget is ever exceeded for it.
            now = self.clock()
            for old in [k for k, lease in self._leases.items() if lease.end <= now]:
                del self._leases[old]
            if len(self._leases) >= self.max_keys:
                self._leases.clear()
        lease = self._leases[key] = _Lease(end)
        return lease

    def _offline(self) -> None:
        now = time.monotonic()
        self._offline_until = now + _OFFLINE_FOR
        if now - self._warned_at >= _WARN_EVERY:
            self._warned_at = now
            log.warning(
                "rate limit %s: the database cannot be reached; this instance counts on its own",
                self.name,
                exc_info=True,
            )


async def delete_expired(db: Database, now: float, batch: int = 1000) -> int:
    """Delete at most ``batch`` rows of windows that ended by ``now``; how many went."""
    ended = _windows.c.window_end <= int(now)
    some = select(_windows.c.name, _windows.c.key).where(ended).limit(batch)
    # ``ended`` again outside the subquery: a window a hit has just started again in the row
    # is rechecked under its lock and kept.
    statement = delete(_windows).where(ended, tuple_(_windows.c.name, _windows.c.key).in_(some))
    async with db.engine.begin() as connection:
        result = await connection.execute(statement)
    return int(result.rowcount)


async def sweep_ended(
    db: Database, batch: int = 1000, clock: Callable[[], float] = time.time
) -> int:
    """Delete the rows of ended windows, ``batch`` at a time so no transaction grows long,
    until none is left; how many went. A round of a periodic job (one replica at a time)."""
    gone = 0
    while (deleted := await delete_expired(db, clock(), batch)) > 0:
        gone += deleted
        if deleted < batch:
            break
    return gone
