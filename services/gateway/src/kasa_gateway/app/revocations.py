"""Ended sessions, announced: every service refuses their access tokens until they expire.

Whenever the gateway revokes sessions it writes ``identity.session.revoked`` in the same
transaction, through the outbox; every process that verifies tokens keeps the ids in its deny
set. The list of revocations still in force (``in_force``) is what a process reads when it
starts or comes back to the broker.
"""

from collections.abc import Sequence
from datetime import datetime, timedelta
from uuid import UUID

from kasa_contracts.events.identity import MAX_REVOKED_SESSIONS, SessionRevoked
from kasa_gateway.db.identities import Identities, IdentityStore
from kasa_gateway.settings import GatewaySettings
from kasa_servicekit.db import utcnow
from kasa_servicekit.events import EventWriter, Origin
from kasa_servicekit.revocations import Snapshot

MARGIN = timedelta(minutes=1)
"""Beyond the token lifetime: another gateway instance may believe a web session it looked up
for two seconds more and mint a token in that time."""


def tokens_expire_by(settings: GatewaySettings, revoked_at: datetime) -> datetime:
    """No access token of a session revoked at ``revoked_at`` lives past this."""
    return revoked_at + timedelta(minutes=settings.access_token_minutes) + MARGIN


async def announce(
    tx: Identities,
    events: EventWriter,
    settings: GatewaySettings,
    origin: Origin,
    *,
    user_id: UUID,
    sessions: Sequence[UUID],
    reason: str,
    workspace_id: UUID | None,
) -> None:
    """Announce sessions ``tx`` has just revoked; nothing when none was live.

    ``workspace_id`` is where the sessions acted (none: across the user's workspaces). This
    gateway refuses them itself as soon as ``tx`` commits; the others learn from the event.
    """
    ended = list(dict.fromkeys(sessions))
    if not ended:
        return
    until = tokens_expire_by(settings, utcnow())
    for start in range(0, len(ended), MAX_REVOKED_SESSIONS):
        revoked = SessionRevoked(
            user_id=user_id,
            session_ids=ended[start : start + MAX_REVOKED_SESSIONS],
            workspace_id=workspace_id,
            reason=reason,
            tokens_expire_by=until,
        )
        await events.write(tx.session, revoked, on=origin)
    tx.ended(ended, until)


async def in_force(store: IdentityStore, settings: GatewaySettings) -> list[tuple[UUID, datetime]]:
    """Every session whose access tokens may still be alive although it was revoked, with
    when they are gone: what a process must refuse besides what its queue brings."""
    now = utcnow()
    horizon = now - (tokens_expire_by(settings, now) - now)
    async with store.reading() as tx:
        revoked = await tx.revoked_since(horizon)
    return [(sid, tokens_expire_by(settings, at)) for sid, at in revoked]


def snapshot(store: IdentityStore, settings: GatewaySettings) -> Snapshot:
    """The gateway's own deny set reads ``in_force`` from its database."""

    async def read() -> list[tuple[str, float]]:
        return [(str(sid), until.timestamp()) for sid, until in await in_force(store, settings)]

    return read
