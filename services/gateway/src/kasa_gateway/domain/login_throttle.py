"""Failed sign-ins per email address and the temporary lockout they lead to. No I/O.

The count is kept for any email, registered or not, so a locked or unlocked answer says
nothing about whether an account exists. Only the lockout of a real account is an event.
"""

import math
from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True)
class LockoutPolicy:
    """How many failures within which window lock an email out, and for how long."""

    failures_before_lockout: int
    failure_window: timedelta
    lockout: timedelta


@dataclass(frozen=True)
class Throttle:
    """What is counted for one email address."""

    failures: int
    window_started_at: datetime
    locked_until: datetime | None = None


@dataclass(frozen=True)
class Failure:
    failures: int
    locked_until: datetime | None
    """Set when this failure locked the account."""


def after_failure(
    throttle: Throttle, now: datetime, policy: LockoutPolicy
) -> tuple[Throttle, Failure]:
    """Count one more failed sign-in; a lockout starts a fresh window."""
    failures, started = throttle.failures, throttle.window_started_at
    if now - started > policy.failure_window:
        failures, started = 0, now
    failures += 1
    if failures >= policy.failures_before_lockout:
        locked_until = now + policy.lockout
        return Throttle(0, now, locked_until), Failure(failures, locked_until)
    return Throttle(failures, started, throttle.locked_until), Failure(failures, None)


def seconds_locked(locked_until: datetime | None, now: datetime) -> int:
    """How long sign-ins stay refused; 0 when they are allowed."""
    if locked_until is None:
        return 0
    return max(0, math.ceil((locked_until - now).total_seconds()))
