"""Client-portal links: a random token shown once, only its hash kept, live until revoked
or expired.

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


def expiry(now: datetime, days: int | None) -> datetime | None:
    """When a link made ``now`` stops working; ``None`` days: when it is revoked."""
    return now + timedelta(days=days) if days else None


def is_live(revoked_at: datetime | None, expires_at: datetime | None, now: datetime) -> bool:
    return revoked_at is None and (expires_at is None or expires_at > now)
