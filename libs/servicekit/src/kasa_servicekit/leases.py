"""Periodic jobs that one replica at a time runs, under a lease row in the service's database.

A service with N replicas runs its scheduled work (chain anchors, reminder passes, sweeps)
once, not N times. Before each round a replica takes or renews the job's lease: one
conditional ``UPDATE`` that succeeds only for the holder or once the lease has expired, so two
replicas never both hold it. The holder renews it every round; a holder that dies is replaced
when its lease runs out, one that stops gives the lease back at once (ADR 0029).

A row rather than ``pg_advisory_lock``: a session lock needs one server connection for the
job's whole life, which a transaction-pooling PgBouncer does not give, and SQLite has none.
A service that runs periodic jobs includes ``lease_metadata`` in its migrations.
"""

import asyncio
import logging
import os
import socket
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import Column, MetaData, String, Table, or_, update

from kasa_servicekit.cancellation import stop_if_cancelled
from kasa_servicekit.db import Database, UtcDateTime, insert_if_absent, utcnow

if TYPE_CHECKING:
    from kasa_servicekit.service import Runtime

log = logging.getLogger("kasa.leases")

lease_metadata = MetaData()

job_leases = Table(
    "job_leases",
    lease_metadata,
    Column("name", String(100), primary_key=True, comment="the periodic job"),
    Column("holder", String(200), nullable=False, comment="the replica running it"),
    Column("expires_at", UtcDateTime, nullable=False),
)

_NEVER = datetime(1970, 1, 1, tzinfo=UTC)


def replica_id() -> str:
    """This process among the service's replicas: host, process id and a random part."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


@dataclass(frozen=True)
class Lease:
    """The right of one holder to run the job ``name`` until ``expires_at`` in the database."""

    db: Database
    name: str
    holder: str
    ttl: timedelta

    async def take(self, now: datetime | None = None) -> bool:
        """Take or renew the lease; True if this holder has it for the next ``ttl``."""
        now = now or utcnow()
        async with self.db.transaction() as session:
            await insert_if_absent(
                session,
                job_leases,
                {"name": self.name, "holder": "", "expires_at": _NEVER},
                ["name"],
            )
            result = await session.execute(
                update(job_leases)
                .where(
                    job_leases.c.name == self.name,
                    or_(job_leases.c.holder == self.holder, job_leases.c.expires_at < now),
                )
                .values(holder=self.holder, expires_at=now + self.ttl)
            )
            return bool(result.rowcount)

    async def give_back(self) -> None:
        """End the lease now if this holder has it, so another replica need not wait it out."""
        async with self.db.transaction() as session:
            await session.execute(
                update(job_leases)
                .where(job_leases.c.name == self.name, job_leases.c.holder == self.holder)
                .values(expires_at=_NEVER)
            )


@dataclass(frozen=True)
class PeriodicJob:
    """A job a service runs every ``every_seconds`` on one replica at a time; 0 turns it off."""

    name: str
    every_seconds: float
    run: Callable[["Runtime"], Awaitable[Any]]
    at_start: bool = False
    """Run a first round right at start (a sweep), rather than one interval after it."""

    @property
    def round_timeout(self) -> float:
        """A round that takes longer is cancelled, so it never outlives its lease."""
        return 2 * self.every_seconds

    @property
    def ttl(self) -> timedelta:
        """How long a lease lasts from its last renewal: a whole round plus the wait for the
        next, so the holder keeps it while a dead one is replaced within three intervals."""
        return timedelta(seconds=3 * self.every_seconds)


async def run_periodically(runtime: "Runtime", job: PeriodicJob, holder: str) -> None:
    """Every ``job.every_seconds``: take the job's lease and, if this replica holds it, run a
    round. A failed round is logged and the next one runs on time; at cancellation the lease
    is given back."""
    if job.every_seconds <= 0:
        return
    lease = Lease(runtime.db, job.name, holder, job.ttl)
    held = False
    try:
        if not job.at_start:
            await asyncio.sleep(job.every_seconds)
        while True:
            try:
                now_held = await lease.take()
                if now_held != held:
                    log.info(
                        "%s %s the lease of %s", holder, "took" if now_held else "lost", job.name
                    )
                held = now_held
                if held:
                    await asyncio.wait_for(job.run(runtime), timeout=job.round_timeout)
                stop_if_cancelled()
            except asyncio.CancelledError:
                raise
            except Exception:
                # A database hiccup or a failed round skips one round; the next one catches up.
                log.exception(
                    "the periodic job %s failed; it runs again in %.0f s",
                    job.name,
                    job.every_seconds,
                )
            await asyncio.sleep(job.every_seconds)
    finally:
        if held:
            try:
                await asyncio.shield(lease.give_back())
            except Exception:
                log.warning("could not give back the lease of %s; it expires by itself", job.name)
