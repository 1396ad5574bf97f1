"""Revoked sessions: the deny set every process checks access tokens against.

An access token lives for minutes and is verified by each service on its own, so ending a
session at the gateway ends nothing elsewhere by itself. The gateway therefore publishes
``identity.session.revoked`` (in the transaction that ends the sessions), and every process
that verifies tokens keeps the revoked session ids (the tokens' ``sid``) until the last token
of those sessions has expired.

A process learns revocations two ways (ADR 0021):

- live, from a queue of its own instance (exclusive, auto-deleted; the kit declares it for
  every service), so each process sees every revocation within moments;
- from the gateway's list of the revocations still in force
  (``/.well-known/revoked-sessions.json``, next to its JWKS), read before the first token is
  checked, after every (re)connection to the broker (the queue is bound first, so nothing
  falls between the two), and every ``REVOCATION_POLL_SECONDS`` while the broker is away.
"""

import asyncio
import logging
import math
import time
from collections.abc import Awaitable, Callable, Iterable
from typing import Any
from urllib.parse import urljoin
from uuid import UUID

import httpx

from kasa_contracts import Envelope
from kasa_contracts.events.identity import SessionRevoked

log = logging.getLogger("kasa.revocations")

Snapshot = Callable[[], Awaitable[Iterable[tuple[str, float]]]]
"""Reads the revocations in force: ``(session id, refused until as a Unix time)`` pairs."""

SNAPSHOT_PATH = "revoked-sessions.json"
"""Where the gateway serves the list, beside ``jwks.json``."""


class RevocationsUnavailableError(RuntimeError):
    """The revocations made before this process started could not be read yet."""


def snapshot_url(jwks_url: str) -> str:
    """The gateway's list of revoked sessions, in the same directory as its JWKS."""
    return urljoin(jwks_url, SNAPSHOT_PATH)


def http_snapshot(url: str, timeout: float = 5.0) -> Snapshot:
    """Read the gateway's list: ``{"sessions": [{"sid": "…", "until": <Unix time>}, …]}``."""

    async def read() -> list[tuple[str, float]]:
        async with httpx.AsyncClient(timeout=timeout) as client:
            response = await client.get(url)
            response.raise_for_status()
        return [
            (str(UUID(str(entry["sid"]))), float(entry["until"]))
            for entry in response.json()["sessions"]
        ]

    return read


class RevokedSessions:
    """Session ids whose access tokens are refused, each until its tokens have expired.

    ``snapshot`` reads the revocations still in force (the gateway's list over HTTP; the
    gateway reads its own database). Without one the set is complete from the start (tests,
    a fixed key set). Checks are in memory; entries disappear when they expire.
    """

    retry_seconds = 1.0
    """After a failed read, checks that need the list fail at once for this long, and the
    list is read again this often until it has been read."""

    def __init__(
        self, snapshot: Snapshot | None = None, *, clock: Callable[[], float] = time.time
    ) -> None:
        self.snapshot = snapshot
        self.clock = clock
        self._until: dict[str, float] = {}
        self._loaded = snapshot is None
        self._stale = False
        self._tried_at = -math.inf
        self._lock = asyncio.Lock()
        self._next_prune = 0.0

    def __len__(self) -> int:
        return len(self._until)

    @property
    def loaded(self) -> bool:
        """Whether the revocations made before this process started are known."""
        return self._loaded

    def revoke(self, session_ids: Iterable[UUID | str], until: float) -> None:
        """Refuse the tokens of these sessions until ``until`` (a Unix time)."""
        now = self.clock()
        if until <= now:
            return
        for session_id in session_ids:
            key = str(session_id)
            if self._until.get(key, 0.0) < until:
                self._until[key] = until
        if now >= self._next_prune:
            self._until = {k: v for k, v in self._until.items() if v > now}
            self._next_prune = now + 60

    def is_revoked(self, session_id: str) -> bool:
        until = self._until.get(session_id)
        if until is None:
            return False
        if until > self.clock():
            return True
        del self._until[session_id]
        return False

    async def handle(self, envelope: Envelope[Any]) -> None:
        """The instance queue's handler: apply one ``identity.session.revoked``."""
        payload = envelope.payload
        if isinstance(payload, SessionRevoked):
            self.revoke(payload.session_ids, payload.tokens_expire_by.timestamp())

    async def reload(self) -> None:
        """Merge the revocations in force as the snapshot has them; raises if it cannot."""
        async with self._lock:
            await self._read()

    async def _read(self) -> None:
        if self.snapshot is None:
            return
        self._tried_at = time.monotonic()
        entries = await self.snapshot()
        for session_id, until in entries:
            self.revoke([session_id], until)
        self._loaded = True

    async def catch_up(self) -> None:
        """``reload`` that logs instead of raising, and is tried again by ``keep_up`` until it
        succeeds: run on every (re)connection of the instance queue."""
        try:
            await self.reload()
        except Exception as exc:
            self._stale = True
            log.warning("cannot read the revoked sessions (%s); retrying", exc)
        else:
            self._stale = False

    async def ensure_loaded(self) -> None:
        """Before the first token is checked: the revocations made before this process started.

        Raises ``RevocationsUnavailableError`` while they cannot be read: a token that may have
        been revoked is not believed. After a failure, calls fail at once for
        ``retry_seconds`` rather than each waiting for the gateway.
        """
        if self._loaded:
            return
        async with self._lock:
            if self._loaded:
                return
            if time.monotonic() - self._tried_at < self.retry_seconds:
                raise RevocationsUnavailableError("the revoked sessions are not read yet")
            try:
                await self._read()
            except Exception as exc:
                raise RevocationsUnavailableError(str(exc)) from exc

    async def keep_up(self, listening: Callable[[], bool], poll_seconds: float) -> None:
        """Read the list until it is loaded, then every ``poll_seconds`` while the instance
        queue is not ``listening`` (broker away) or a catch-up failed: revocations made
        meanwhile then still arrive, within ``poll_seconds`` of the gateway being reachable."""
        while True:
            behind = not self._loaded or self._stale
            if behind or not listening():
                await self.catch_up()
            behind = not self._loaded or self._stale
            await asyncio.sleep(min(self.retry_seconds, poll_seconds) if behind else poll_seconds)
