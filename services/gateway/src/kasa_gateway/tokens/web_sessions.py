"""The live browser sessions behind cookies, and the access tokens minted for their requests."""

import time
from typing import Any
from uuid import UUID

from kasa_gateway.db.identities import LiveWebSession, load_web_session
from kasa_gateway.settings import GatewaySettings
from kasa_gateway.tokens.access import access_token
from kasa_gateway.tokens.opaque import secret_hash
from kasa_gateway.tokens.signing_keys import KeyRing
from kasa_servicekit.db import Database
from kasa_servicekit.revocations import RevokedSessions


class WebSessions:
    """The live browser sessions behind cookies, and access tokens for their requests.

    A session found live is believed for two seconds (a page and the requests it makes at
    once need one lookup, not one each); this gateway forgets it at once when it signs the
    session out or moves it to another workspace, and every other change (revocation
    elsewhere) holds within those two seconds, or at once when the revocation's event has
    reached this instance's deny set. The token minted for a session is
    reused for a minute while its identity, workspace and role stay the same: each service
    remembers a token it has verified, so a page's API calls skip a signature check apiece.
    """

    believe_seconds = 2.0
    reuse_seconds = 60
    size = 10_000

    def __init__(
        self, settings: GatewaySettings, keys: KeyRing, revoked: RevokedSessions | None = None
    ) -> None:
        self.settings = settings
        self.keys = keys
        self.revoked = revoked
        self._live: dict[str, tuple[float, LiveWebSession]] = {}
        self._minted: dict[LiveWebSession, tuple[float, str]] = {}

    async def live(self, db: Database, cookie: str) -> LiveWebSession | None:
        key = secret_hash(cookie)
        now = time.monotonic()
        known = self._live.get(key)
        if known and known[0] > now:
            if self.revoked is not None and self.revoked.is_revoked(str(known[1].id)):
                return None
            return known[1]
        found = await load_web_session(db, key)
        if found is None:
            self._live.pop(key, None)
            return None
        self._live = _bounded(self._live, self.size, now)
        self._live[key] = (now + self.believe_seconds, found)
        return found

    def forget(self, session_id: UUID | None) -> None:
        """After this gateway changed the session (signed out, moved): look it up again."""
        self._live = {k: v for k, v in self._live.items() if v[1].id != session_id}

    def forget_user(self, user_id: UUID) -> None:
        """After this gateway changed what a user's tokens say (a proven address): look every
        session of theirs up again."""
        self._live = {k: v for k, v in self._live.items() if v[1].user_id != user_id}

    def token(self, live: LiveWebSession) -> str:
        now = time.monotonic()
        known = self._minted.get(live)
        if known and known[0] > now:
            return known[1]
        token, _ = access_token(
            self.settings,
            self.keys,
            user_id=live.user_id,
            name=live.name,
            workspace_id=live.workspace_id,
            role=live.role,
            session_id=live.id,
            operator=live.operator,
            email_verified=live.email_verified,
        )
        self._minted = _bounded(self._minted, self.size, now)
        self._minted[live] = (now + self.reuse_seconds, token)
        return token


def _bounded(memo: dict[Any, tuple[float, Any]], size: int, now: float) -> dict[Any, Any]:
    """The memo without its expired entries once it is full; empty if all are still fresh."""
    if len(memo) < size:
        return memo
    fresh = {k: v for k, v in memo.items() if v[0] > now}
    return fresh if len(fresh) < size else {}
