"""Waiting for the database at start: a service started before it is reachable waits.

In a cluster the pods of a new version, the database and the broker come up in any order, and
a database fails over now and then. A service that exits at its first refused connection
turns that into a crash loop whose log says little; this one says which database it waits
for and why it cannot reach it, retries with a growing pause, and gives up only after
``STARTUP_WAIT_SECONDS``, naming the last reason. The broker needs no such wait: the bus
reconnects for the service's whole life and readiness stays false meanwhile.
"""

import asyncio
import logging
import time

from sqlalchemy import make_url, pool, text
from sqlalchemy.ext.asyncio import create_async_engine

log = logging.getLogger("kasa.startup")


class DatabaseUnreachable(RuntimeError):
    """The database stayed out of reach for the whole wait."""


def where(url: str) -> str:
    """The database a URL names, as a log line may show it: never the password."""
    parts = make_url(url)
    if parts.get_backend_name() == "sqlite":
        return f"sqlite {parts.database}"
    return f"{parts.host or 'localhost'}:{parts.port or 5432}/{parts.database} as {parts.username}"


async def _reachable(url: str, connect_timeout: float) -> None:
    engine = create_async_engine(url, poolclass=pool.NullPool)
    try:
        async with asyncio.timeout(connect_timeout), engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
    finally:
        await engine.dispose()


async def wait_for_database(
    url: str, wait_seconds: float, *, first_pause: float = 0.5, max_pause: float = 10.0
) -> None:
    """Return once ``url`` answers; retry for ``wait_seconds``, then raise
    ``DatabaseUnreachable`` with the last reason. SQLite is a file: nothing to wait for."""
    if make_url(url).get_backend_name() == "sqlite":
        return
    deadline = time.monotonic() + wait_seconds
    pause = first_pause
    attempts = 0
    while True:
        attempts += 1
        try:
            await _reachable(url, connect_timeout=max(1.0, min(10.0, wait_seconds)))
        except Exception as exc:
            reason = f"{type(exc).__name__}: {exc}".strip().rstrip(":")
            left = deadline - time.monotonic()
            if left <= 0:
                raise DatabaseUnreachable(
                    f"the database {where(url)} stayed unreachable for {wait_seconds:.0f} s "
                    f"({attempts} attempts); the last attempt said: {reason}"
                ) from exc
            pause = min(pause, left)
            log.warning(
                "the database %s is not reachable yet (%s); retrying in %.1f s, for %.0f s more",
                where(url),
                reason,
                pause,
                left,
            )
            await asyncio.sleep(pause)
            pause = min(pause * 2, max_pause)
        else:
            if attempts > 1:
                log.info("the database %s answers after %d attempts", where(url), attempts)
            return
