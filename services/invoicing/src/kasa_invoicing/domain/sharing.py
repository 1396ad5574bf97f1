"""Client-portal links: a random token shown once, only its hash kept, live until revoked
or expired (every link expires, by default after ``DEFAULT_LINK_DAYS``).

A token has 256 bits of randomness; only its SHA-256 is stored, so a leaked database does not
open any invoice.
"""

import hashlib
import secrets
from datetime import datetime, timedelta

MAX_TOKEN_LENGTH = 200
"""Longer tokens are never looked up: no link has one."""


def new_token() -> str:
    return secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


DEFAULT_LINK_DAYS = 90
"""Days a link works when nobody chose otherwise (``PORTAL_LINK_DAYS`` sets it per service)."""


def expiry(now: datetime, days: int | None, default_days: int = DEFAULT_LINK_DAYS) -> datetime:
    """When a link made ``now`` stops working: after ``days``, else after ``default_days``.

    Every link expires: a link forwarded once would otherwise open the invoice for ever.
    """
    return now + timedelta(days=days or default_days)


def effective_expiry(
    expires_at: datetime | None, created_at: datetime, default_days: int = DEFAULT_LINK_DAYS
) -> datetime:
    """When a stored link stops working. One stored without an expiry (made when links lived
    until revoked) stops ``default_days`` after it was made."""
    return expires_at if expires_at is not None else created_at + timedelta(days=default_days)


def is_live(revoked_at: datetime | None, expires_at: datetime, now: datetime) -> bool:
    return revoked_at is None and expires_at > now
