"""Periodic jobs under a lease: one replica at a time runs a round, on a real SQLite database."""

import asyncio
import itertools
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from kasa_localstack.testing import eventually
from kasa_servicekit.db import Database, utcnow
from kasa_servicekit.leases import Lease, PeriodicJob, lease_metadata, run_periodically


@pytest.fixture
async def db(tmp_path: Path):
    database = Database(f"sqlite+aiosqlite:///{tmp_path}/leases.db")
    async with database.engine.begin() as conn:
        await conn.run_sync(lease_metadata.create_all)
    yield database
    await database.dispose()


async def until(condition: Callable[[], bool], timeout: float = 10) -> None:
    async def probe() -> bool:
        return condition()

    await eventually(probe, bool, timeout=timeout, interval=0.02)


@dataclass
class Replica:
    """What ``run_periodically`` reads of a running service."""

    db: Database


async def test_one_holder_until_it_expires_or_gives_it_back(db):
    ttl = timedelta(seconds=30)
    first, second = Lease(db, "anchors", "a", ttl), Lease(db, "anchors", "b", ttl)
    now = utcnow()
    assert await first.take(now)
    assert not await second.take(now + timedelta(seconds=1))
    assert await first.take(now + timedelta(seconds=20)), "the holder renews"
    assert not await second.take(now + timedelta(seconds=45)), "renewed at 20 s: held until 50 s"
    assert await second.take(now + timedelta(seconds=51)), "expired: another replica takes it"
    assert not await first.take(now + timedelta(seconds=52))

    await second.give_back()
    assert await first.take(now + timedelta(seconds=53)), "given back: no wait"
    assert await Lease(db, "reminders", "b", ttl).take(now), "each job has its own lease"


async def test_two_replicas_never_run_a_round_at_once_and_one_takes_over(db):
    rounds: list[tuple[str, float, float]] = []

    def job_for(holder: str) -> PeriodicJob:
        async def round_(runtime: Any) -> None:
            started = time.monotonic()
            await asyncio.sleep(0.02)
            rounds.append((holder, started, time.monotonic()))

        return PeriodicJob("sweep", 0.05, round_, at_start=True)

    tasks = {h: asyncio.create_task(run_periodically(Replica(db), job_for(h), h)) for h in "ab"}
    try:
        await until(lambda: len(rounds) >= 6)
        assert len({holder for holder, _, _ in rounds}) == 1, "one replica holds the lease"
        holder = rounds[0][0]
        other = "b" if holder == "a" else "a"

        # The holder stops (a rolling update): it gives the lease back and the other goes on.
        tasks[holder].cancel()
        await asyncio.gather(tasks[holder], return_exceptions=True)
        stopped_at = time.monotonic()
        await until(lambda: any(h == other for h, _, _ in rounds))
        took_over = [start for h, start, _ in rounds if h == other]
        assert took_over, "the other replica took the job over"
        assert took_over[0] - stopped_at < 1.0, "within a round or two, not a lease's life"
    finally:
        for task in tasks.values():
            task.cancel()
        await asyncio.gather(*tasks.values(), return_exceptions=True)
    spans = sorted((start, end) for _, start, end in rounds)
    assert all(end <= next_start for (_, end), (next_start, _) in itertools.pairwise(spans))


async def test_a_failing_round_does_not_stop_the_job(db):
    calls = 0

    async def flaky(runtime: Any) -> None:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise RuntimeError("the database went away")

    task = asyncio.create_task(
        run_periodically(Replica(db), PeriodicJob("flaky", 0.02, flaky, at_start=True), "a")
    )
    await until(lambda: calls >= 3)
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    assert calls >= 3


async def test_a_job_set_to_zero_never_runs(db):
    async def never(runtime: Any) -> None:
        raise AssertionError("ran")

    await asyncio.wait_for(
        run_periodically(Replica(db), PeriodicJob("off", 0, never, at_start=True), "a"), 1
    )
