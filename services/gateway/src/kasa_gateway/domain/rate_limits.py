"""In-process rate limits: fixed one-minute windows per key.

Each gateway instance counts on its own, so with N instances a client gets up to N times the
budget; the growing wait after failed sign-ins is kept in the database and holds across
instances.
"""

import math
import time
from dataclasses import dataclass


@dataclass(frozen=True)
class Decision:
    allowed: bool
    limit: int
    remaining: int
    reset_after: int
    """Seconds until the current window ends (the ``Retry-After`` when refused)."""


class RateLimiter:
    """At most ``limit`` hits per key in each ``window`` seconds."""

    def __init__(self, limit: int, window: float = 60.0, max_keys: int = 100_000) -> None:
        self.limit = limit
        self.window = window
        self.max_keys = max_keys
        self._windows: dict[str, tuple[float, int]] = {}

    def hit(self, key: str, now: float | None = None) -> Decision:
        now = time.monotonic() if now is None else now
        started, count = self._windows.get(key, (now, 0))
        if now - started >= self.window:
            started, count = now, 0
        reset_after = max(1, math.ceil(started + self.window - now))
        if count >= self.limit:
            return Decision(False, self.limit, 0, reset_after)
        if key not in self._windows and len(self._windows) >= self.max_keys:
            self._forget_expired(now)
        self._windows[key] = (started, count + 1)
        return Decision(True, self.limit, self.limit - count - 1, reset_after)

    def _forget_expired(self, now: float) -> None:
        expired = [k for k, (s, _) in self._windows.items() if now - s >= self.window]
        for key in expired:
            del self._windows[key]
        if len(self._windows) >= self.max_keys:
            # Still full of live windows: forget the oldest half rather than grow without end.
            oldest = sorted(self._windows.items(), key=lambda item: item[1][0])
            for key, _ in oldest[: len(oldest) // 2]:
                del self._windows[key]


@dataclass
class Limiters:
    """The gateway's rate limits: sign-ins per account from one address and per address,
    registrations per address, and API calls per user.

    No limit counts an account alone: one that did would let anybody keep its owner out."""

    login_per_account_address: RateLimiter
    login_per_address: RateLimiter
    register_per_address: RateLimiter
    api_per_user: RateLimiter
