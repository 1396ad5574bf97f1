"""The transactional outbox: events are written with the change, and a relay publishes them.

``EventWriter`` (``events.py``) inserts events in the caller's transaction, so a change and
its events commit or roll back together. ``OutboxRelay`` is the only code that publishes to
RabbitMQ: it claims a batch of unpublished rows (``FOR UPDATE SKIP LOCKED`` on PostgreSQL;
on SQLite the single ``UPDATE … RETURNING`` runs under the database's write lock), publishes
them with publisher confirms, marks them published and keeps them for the retention window.
Several batches are in flight at once; a row is marked only after the broker confirmed it.
"""

import asyncio
import logging
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from prometheus_client import Counter, Gauge
from sqlalchemy import delete, event, func, select, update
from sqlalchemy.orm import Session

from kasa_servicekit.bus import Bus, OutgoingMessage
from kasa_servicekit.cancellation import stop_if_cancelled
from kasa_servicekit.db import Database, utcnow
from kasa_servicekit.events import OUTBOX_WRITTEN
from kasa_servicekit.tables import outbox

log = logging.getLogger("kasa.outbox")

PUBLISHED = Counter("kasa_outbox_published_total", "Events confirmed by the broker")
PUBLISH_FAILURES = Counter("kasa_outbox_publish_failures_total", "Batches the broker refused")
BACKLOG = Gauge("kasa_outbox_backlog", "Events written but not yet confirmed by the broker")

_wakeups: set[asyncio.Event] = set()


@event.listens_for(Session, "after_commit")
def _wake_relays(session: Session) -> None:
    # A committed transaction that wrote events wakes the in-process relay at once, so
    # latency does not depend on the poll interval.
    if session.info.pop(OUTBOX_WRITTEN, False):
        for wakeup in _wakeups:
            wakeup.set()


class OutboxRelay:
    """Publishes committed outbox rows; safe to run in several replicas at once."""

    lease = timedelta(seconds=60)

    def __init__(
        self,
        db: Database,
        bus: Bus,
        *,
        batch_size: int = 500,
        poll_seconds: float = 0.5,
        retention: timedelta = timedelta(days=7),
        depth: int = 4,
    ) -> None:
        self.db = db
        self.bus = bus
        self.batch_size = batch_size
        self.poll_seconds = poll_seconds
        self.retention = retention
        self.depth = depth
        """Batches published and awaiting the broker's confirms at once."""
        self._wakeup = asyncio.Event()

    async def run(self) -> None:
        """Claim and publish until cancelled, with up to ``depth`` batches awaiting confirms.

        The next batch is claimed while earlier ones wait for the broker, so the pipe stays
        full. Batches are sent in claim order on one channel; a batch that fails goes back
        unclaimed and is sent again later, after newer ones: consumers never rely on order
        across events (their inboxes dedupe, their handlers commute or check state).
        """
        _wakeups.add(self._wakeup)
        backoff = 0.5
        passes = 0
        in_flight: set[asyncio.Future[int]] = set()
        try:
            while True:
                await self.bus.ready.wait()
                rows: list[Any] = []
                try:
                    if len(in_flight) < self.depth:
                        rows = await self._claim()
                    if rows:
                        in_flight.add(asyncio.ensure_future(self._publish(rows)))
                    if in_flight and (len(in_flight) >= self.depth or len(rows) < self.batch_size):
                        done, in_flight = await asyncio.wait(
                            in_flight, return_when=asyncio.FIRST_COMPLETED
                        )
                        for task in done:
                            task.result()
                    backoff = 0.5
                except asyncio.CancelledError:
                    raise
                except Exception as exc:
                    PUBLISH_FAILURES.inc()
                    log.warning(
                        "outbox publish failed, retrying in %.1fs: %s: %s",
                        backoff,
                        type(exc).__name__,
                        exc,
                    )
                    await asyncio.sleep(backoff)
                    backoff = min(backoff * 2, 30.0)
                    continue
                passes += 1
                if passes % 1000 == 0:
                    await self.prune()
                if not rows and not in_flight:
                    await self._idle()
        finally:
            _wakeups.discard(self._wakeup)
            for task in in_flight:
                task.cancel()
            await asyncio.gather(*in_flight, return_exceptions=True)

    async def _idle(self) -> None:
        try:
            await asyncio.wait_for(self._wakeup.wait(), timeout=self.poll_seconds)
        except TimeoutError:
            pass
        self._wakeup.clear()
        stop_if_cancelled()

    async def publish_batch(self) -> int:
        """Claim, publish and mark one batch; returns how many events were confirmed."""
        rows = await self._claim()
        return await self._publish(rows) if rows else 0

    async def _publish(self, rows: list[Any]) -> int:
        messages = [
            OutgoingMessage(
                message_id=row.id,
                routing_key=row.routing_key,
                body=row.body.encode(),
                headers=row.headers or {},
                correlation_id=row.correlation_id,
                timestamp=row.created_at,
            )
            for row in rows
        ]
        try:
            await self.bus.publish(messages)
        except BaseException as exc:
            await self._release([row.id for row in rows], f"{type(exc).__name__}: {exc}")
            raise
        async with self.db.transaction() as session:
            await session.execute(
                update(outbox)
                .where(outbox.c.id.in_([row.id for row in rows]))
                .values(published_at=utcnow(), claimed_until=None, last_error=None)
            )
        PUBLISHED.inc(len(rows))
        return len(rows)

    async def _claim(self) -> list[Any]:
        now = utcnow()
        candidates = (
            select(outbox.c.id)
            .where(outbox.c.published_at.is_(None))
            .where((outbox.c.claimed_until.is_(None)) | (outbox.c.claimed_until < now))
            .order_by(outbox.c.id)
            .limit(self.batch_size)
            .with_for_update(skip_locked=True)
        )
        stmt = (
            update(outbox)
            .where(outbox.c.id.in_(candidates.scalar_subquery()))
            .values(claimed_until=now + self.lease, attempts=outbox.c.attempts + 1)
            .returning(
                outbox.c.id,
                outbox.c.routing_key,
                outbox.c.body,
                outbox.c.headers,
                outbox.c.correlation_id,
                outbox.c.created_at,
            )
        )
        async with self.db.transaction() as session:
            rows = list((await session.execute(stmt)).all())
        rows.sort(key=lambda row: row.id)
        return rows

    async def _release(self, ids: list[UUID], error: str) -> None:
        try:
            async with self.db.transaction() as session:
                await session.execute(
                    update(outbox)
                    .where(outbox.c.id.in_(ids))
                    .values(claimed_until=None, last_error=error[:2000])
                )
        except Exception:
            log.exception("could not release claimed outbox rows; their lease will expire")

    async def prune(self) -> int:
        """Delete published rows older than the retention window."""
        async with self.db.transaction() as session:
            result = await session.execute(
                delete(outbox).where(outbox.c.published_at < utcnow() - self.retention)
            )
        return int(result.rowcount)


async def backlog(db: Database) -> tuple[int, Any]:
    """How many events wait to be published, and when the oldest was written."""
    async with db.sessions() as session:
        row = (
            await session.execute(
                select(func.count(), func.min(outbox.c.created_at)).where(
                    outbox.c.published_at.is_(None)
                )
            )
        ).one()
    return int(row[0]), row[1]


async def republish(
    db: Database, since: datetime, until: datetime | None = None, event_type: str | None = None
) -> int:
    """Mark already published events for publishing again (consumers' inboxes dedupe them)."""
    stmt = update(outbox).where(outbox.c.created_at >= since)
    if until is not None:
        stmt = stmt.where(outbox.c.created_at < until)
    if event_type:
        stmt = stmt.where(outbox.c.routing_key.startswith(event_type))
    async with db.transaction() as session:
        result = await session.execute(
            stmt.values(published_at=None, claimed_until=None, last_error=None)
        )
    count = int(result.rowcount)
    for wakeup in _wakeups:
        wakeup.set()
    return count
