"""In-process rate limits for the public portal: fixed one-minute windows per key. No I/O.

Each invoicing instance counts on its own, so with N instances a client gets up to N times the
budget; the limit exists to bound the work (a PDF render and an audit event per view), not to
count exactly.
"""

import math
import time
from dataclasses import dataclass


@dataclass(frozen=True)
class Decision:
    allowed: bool
    retry_after: int
    """Seconds until the current window ends (the ``Retry-After`` when refused)."""


class RateLimiter:
    """At most ``limit`` hits per key in each ``window`` seconds, for at most ``max_keys``
    keys (the oldest windows are forgotten first, so memory stays bounded)."""

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
        retry_after = max(1, math.ceil(started + self.window - now))
        if count >= self.limit:
            return Decision(False, retry_after)
        if key not in self._windows and len(self._windows) >= self.max_keys:
            self._forget_expired(now)
        self._windows[key] = (started, count + 1)
        return Decision(True, retry_after)

    def _forget_expired(self, now: float) -> None:
        expired = [k for k, (s, _) in self._windows.items() if now - s >= self.window]
        for key in expired:
            del self._windows[key]
        if len(self._windows) >= self.max_keys:
            oldest = sorted(self._windows.items(), key=lambda item: item[1][0])
            for key, _ in oldest[: len(oldest) // 2]:
                del self._windows[key]
