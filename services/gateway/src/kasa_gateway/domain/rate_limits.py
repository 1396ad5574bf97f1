"""The gateway's rate limits: at most N hits per key in fixed windows.

A key's window starts with its first hit and lasts the limit's window; the first hit after it
ends starts the next.

Every gateway instance counts in the gateway's database (``db/rate_limits.py``), so N
instances enforce one budget between them, as the growing wait after failed sign-ins does.
Use cases receive a ``Limiter`` and know nothing of where it counts; their unit tests hand
them one that counts in memory.
"""

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol
from uuid import UUID

from kasa_servicekit.rate_limits import Decision


class Limiter(Protocol):
    """At most ``limit`` hits per key in each window of ``window`` seconds."""

    @property
    def limit(self) -> int: ...

    @property
    def window(self) -> int:
        """The window's length in seconds."""
        ...

    async def hit(self, key: str) -> Decision:
        """Count one hit for ``key``; refused once the key's current window is full."""
        ...

    async def peek(self, keys: Sequence[str]) -> list[Decision]:
        """Where each of ``keys`` stands in its current window, counting no hit (a status
        read); ``allowed`` says whether its next hit would be."""
        ...


@dataclass
class Limiters:
    """The gateway's rate limits: sign-ins per account from one address and per address,
    registrations per address, API calls per user, and password resets per address.

    No limit counts an account alone: one that did would let anybody keep its owner out."""

    login_per_account_address: Limiter
    login_per_address: Limiter
    register_per_address: Limiter
    api_per_user: Limiter
    reset_per_address: Limiter


def api_caller_key(user_id: UUID | str) -> str:
    """The key the API limit counts a signed-in user's requests under."""
    return f"user:{user_id}"


def reset_after(window_end: float, now: float) -> int:
    """Seconds until a window ending at ``window_end`` ends (at least 1, as ``Retry-After``)."""
    return max(1, math.ceil(window_end - now))


def decision(limit: int, used: int, window_end: float, now: float) -> Decision:
    """Where a key stands that has ``used`` hits of ``limit`` in a window ending at
    ``window_end``."""
    remaining = max(0, limit - used)
    return Decision(remaining > 0, limit, remaining, reset_after(window_end, now))


def lease_size(limit: int, claims: int, ceiling: int) -> int:
    """How many hits an instance claims at once for a key after ``claims`` claims for it in
    the window: 1, doubling with each claim, never more than ``ceiling`` nor a tenth of the
    budget.

    Claimed hits are counted against the budget before they are used, so the instances
    together never let more than ``limit`` through; what an instance holds unused when the
    client goes elsewhere is budget lost for that window, which the ceiling bounds."""
    return max(1, min(2**claims, ceiling, limit // 10))
