"""Failed sign-ins per email address and the temporary lockout they lead to.

The count is kept for any email, registered or not, so a locked or unlocked answer says
nothing about whether an account exists. Only the lockout of a real account is an event.
"""

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from kasa_gateway.db.tables import LoginThrottle
from kasa_gateway.settings import GatewaySettings
from kasa_servicekit.db import Database, insert_if_absent, utcnow


async def seconds_locked(db: Database, email: str) -> int:
    """How long sign-ins for ``email`` stay refused; 0 when they are allowed."""
    async with db.sessions() as session:
        locked_until = await session.scalar(
            select(LoginThrottle.locked_until).where(LoginThrottle.email == email)
        )
    if locked_until is None:
        return 0
    return max(0, math.ceil((locked_until - utcnow()).total_seconds()))


@dataclass(frozen=True)
class Failure:
    failures: int
    locked_until: datetime | None
    """Set when this failure locked the account."""


async def record_failure(session: AsyncSession, settings: GatewaySettings, email: str) -> Failure:
    now = utcnow()
    await insert_if_absent(
        session,
        LoginThrottle.__table__,
        {"email": email, "failures": 0, "window_started_at": now},
        ["email"],
    )
    row = await session.scalar(
        select(LoginThrottle).where(LoginThrottle.email == email).with_for_update()
    )
    assert row is not None
    window = timedelta(minutes=settings.login_failure_window_minutes)
    if now - row.window_started_at > window:
        row.failures, row.window_started_at = 0, now
    row.failures += 1
    if row.failures >= settings.login_failures_before_lockout:
        row.locked_until = now + timedelta(minutes=settings.lockout_minutes)
        failures = row.failures
        row.failures, row.window_started_at = 0, now
        return Failure(failures, row.locked_until)
    return Failure(row.failures, None)


async def clear(session: AsyncSession, email: str) -> None:
    await session.execute(delete(LoginThrottle).where(LoginThrottle.email == email))
