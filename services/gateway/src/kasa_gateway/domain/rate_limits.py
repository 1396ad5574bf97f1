"""The gateway's in-process rate limits (the kit's fixed one-minute windows).

Each gateway instance counts on its own, so with N instances a client gets up to N times the
budget; the growing wait after failed sign-ins is kept in the database and holds across
instances.
"""

from dataclasses import dataclass
from uuid import UUID

from kasa_servicekit.rate_limits import RateLimiter


@dataclass
class Limiters:
    """The gateway's rate limits: sign-ins per account from one address and per address,
    registrations per address, and API calls per user.

    No limit counts an account alone: one that did would let anybody keep its owner out."""

    login_per_account_address: RateLimiter
    login_per_address: RateLimiter
    register_per_address: RateLimiter
    api_per_user: RateLimiter
    reset_per_address: RateLimiter


def api_caller_key(user_id: UUID | str) -> str:
    """The key the API limit counts a signed-in user's requests under."""
    return f"user:{user_id}"
