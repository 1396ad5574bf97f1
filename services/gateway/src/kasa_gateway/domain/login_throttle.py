"""Failed sign-ins per account *and* client address, and the growing wait they lead to. No I/O.

There is no lockout of an account: failures from one address make only that address wait
before it may try the same account again, and the wait doubles with every further failure up
to a ceiling. The right password from any other address still signs in, so nobody can keep an
account's owner out by failing on purpose.

The count is kept for any email, registered or not, so a wait or its absence says nothing
about whether an account exists.
"""

import math
from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True)
class ThrottlePolicy:
    """How many failures from one address are free, how the wait then grows, and after how
    long a quiet pair is forgotten."""

    failures_before_delay: int
    first_delay: timedelta
    max_delay: timedelta
    forget_after: timedelta


@dataclass(frozen=True)
class Throttle:
    """What is counted for one (email, address) pair."""

    failures: int
    last_failure_at: datetime
    blocked_until: datetime | None = None


@dataclass(frozen=True)
class Failure:
    failures: int
    blocked_until: datetime | None
    """Set when this failure makes the address wait."""


def delay_after(failures: int, policy: ThrottlePolicy) -> timedelta:
    """The wait after the ``failures``-th recent failure: none until the free ones are used,
    then ``first_delay``, doubling each time, never above ``max_delay``."""
    beyond = failures - policy.failures_before_delay
    if beyond < 0:
        return timedelta(0)
    # The exponent is capped so a long-lived count cannot overflow the multiplication.
    return min(policy.first_delay * (2 ** min(beyond, 32)), policy.max_delay)


def after_failure(
    throttle: Throttle | None, now: datetime, policy: ThrottlePolicy
) -> tuple[Throttle, Failure]:
    """Count one more failed sign-in for a pair; a pair quiet for long starts afresh."""
    failures = 0
    if throttle is not None and now - throttle.last_failure_at <= policy.forget_after:
        failures = throttle.failures
    failures += 1
    delay = delay_after(failures, policy)
    blocked_until = now + delay if delay else None
    return Throttle(failures, now, blocked_until), Failure(failures, blocked_until)


def seconds_to_wait(blocked_until: datetime | None, now: datetime) -> int:
    """How long sign-ins of the pair stay refused; 0 when they are allowed."""
    if blocked_until is None:
        return 0
    return max(0, math.ceil((blocked_until - now).total_seconds()))
