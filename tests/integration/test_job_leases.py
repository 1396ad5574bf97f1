"""Job leases on real PostgreSQL: of replicas racing for a periodic job, exactly one runs it."""

import asyncio
from datetime import timedelta

import pytest
from sqlalchemy import select

from kasa_servicekit.db import Database, utcnow
from kasa_servicekit.leases import Lease, job_leases, lease_metadata

pytestmark = [pytest.mark.integration, pytest.mark.asyncio(loop_scope="session")]

REPLICAS = 6


async def test_replicas_racing_for_a_lease_get_exactly_one_holder(fresh_database):
    replicas = [Database(fresh_database) for _ in range(REPLICAS)]
    try:
        async with replicas[0].engine.begin() as conn:
            await conn.run_sync(lease_metadata.create_all)
        ttl = timedelta(seconds=30)
        for job in ("first", "second", "third"):
            leases = [Lease(db, job, f"replica-{n}", ttl) for n, db in enumerate(replicas)]
            now = utcnow()
            # All at once, the row not there yet: every replica inserts and updates together.
            won = await asyncio.gather(*(lease.take(now) for lease in leases))
            assert sum(won) == 1, won
            async with replicas[0].transaction() as session:
                holder = await session.scalar(
                    select(job_leases.c.holder).where(job_leases.c.name == job)
                )
            assert holder == leases[won.index(True)].holder

            # Once it has expired, again exactly one of the others takes it over.
            later = now + ttl + timedelta(seconds=1)
            others = [lease for lease in leases if lease.holder != holder]
            won = await asyncio.gather(*(lease.take(later) for lease in others))
            assert sum(won) == 1, won
    finally:
        for db in replicas:
            await db.dispose()
