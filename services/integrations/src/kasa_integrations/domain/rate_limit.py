"""A per-key budget of hits in fixed windows: how many file imports a workspace may send.

Pure bookkeeping with the clock passed in; each process keeps its own counts, so with N
replicas a workspace gets up to N times the budget.
"""

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class Decision:
    allowed: bool
    retry_after: int
    """Seconds until the current window ends (the ``Retry-After`` of a refusal)."""


class FixedWindowLimit:
    """At most ``limit`` hits per key in each ``window_s`` seconds."""

    def __init__(self, limit: int, window_s: float = 60.0, max_keys: int = 100_000) -> None:
        if limit < 1 or window_s <= 0:
            raise ValueError("a rate limit needs a positive budget and window")
        self.limit = limit
        self.window_s = window_s
        self.max_keys = max_keys
        self._windows: dict[str, tuple[float, int]] = {}

    def hit(self, key: str, now: float) -> Decision:
        started, count = self._windows.get(key, (now, 0))
        if now - started >= self.window_s:
            started, count = now, 0
        retry_after = max(1, math.ceil(started + self.window_s - now))
        if count >= self.limit:
            return Decision(False, retry_after)
        if key not in self._windows and len(self._windows) >= self.max_keys:
            self._forget(now)
        self._windows[key] = (started, count + 1)
        return Decision(True, retry_after)

    def _forget(self, now: float) -> None:
        for key in [k for k, (s, _) in self._windows.items() if now - s >= self.window_s]:
            del self._windows[key]
        if len(self._windows) >= self.max_keys:
            # Still full of live windows: forget the oldest half rather than grow without end.
            oldest = sorted(self._windows.items(), key=lambda item: item[1][0])
            for key, _ in oldest[: len(oldest) // 2]:
                del self._windows[key]
