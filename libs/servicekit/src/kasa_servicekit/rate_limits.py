"""In-process rate limits: at most N hits per key in fixed windows. No I/O.

Each process counts on its own, so with N instances a client gets up to N times the budget.
That is what these limits are for: bounding one process's work (uploads, portal renders), not
counting exactly. A budget that must hold across instances belongs in a database: the gateway
counts its rate limits (sign-ins, registrations, resets, API calls) in its own and falls back
to this in-process count only while that database cannot be reached.
"""

import math
import time
from dataclasses import dataclass


@dataclass(frozen=True)
class Decision:
    """Whether a hit is allowed, and what the ``RateLimit-*`` headers say about the window."""

    allowed: bool
    limit: int
    remaining: int
    reset_after: int
    """Seconds until the current window ends."""

    @property
    def retry_after(self) -> int:
        """The ``Retry-After`` of a refusal: when the window ends."""
        return self.reset_after


class RateLimiter:
    """At most ``limit`` hits per key in each ``window`` seconds, for at most ``max_keys``
    keys: when full, expired windows are forgotten first, then the oldest half, so memory
    stays bounded whatever keys a client makes up."""

    def __init__(self, limit: int, window: float = 60.0, max_keys: int = 100_000) -> None:
        if limit < 1 or window <= 0:
            raise ValueError("a rate limit needs a positive budget and window")
        self.limit = limit
        self.window = window
        self.max_keys = max_keys
        self._windows: dict[str, tuple[float, int]] = {}

    def hit(self, key: str, now: float | None = None) -> Decision:
        """Count one hit for ``key`` (``now`` on the monotonic clock unless given)."""
        now = time.monotonic() if now is None else now
        started, count = self._windows.get(key, (now, 0))
        if now - started >= self.window:
            started, count = now, 0
        reset_after = max(1, math.ceil(started + self.window - now))
        if count >= self.limit:
            return Decision(False, self.limit, 0, reset_after)
        if key not in self._windows and len(self._windows) >= self.max_keys:
            self._forget(now)
        self._windows[key] = (started, count + 1)
        return Decision(True, self.limit, self.limit - count - 1, reset_after)

    def peek(self, key: str, now: float | None = None) -> Decision:
        """Where ``key`` stands in its current window, without counting a hit: a status
        read. ``allowed`` says whether its next hit would be."""
        now = time.monotonic() if now is None else now
        started, count = self._windows.get(key, (now, 0))
        if now - started >= self.window:
            started, count = now, 0
        reset_after = max(1, math.ceil(started + self.window - now))
        remaining = max(0, self.limit - count)
        return Decision(remaining > 0, self.limit, remaining, reset_after)

    def __len__(self) -> int:
        """How many keys are counted now."""
        return len(self._windows)

    def _forget(self, now: float) -> None:
        for key in [k for k, (s, _) in self._windows.items() if now - s >= self.window]:
            del self._windows[key]
        if len(self._windows) >= self.max_keys:
            # Still full of live windows: forget the oldest half rather than grow without end.
            oldest = sorted(self._windows.items(), key=lambda item: item[1][0])
            for key, _ in oldest[: len(oldest) // 2]:
                del self._windows[key]
