"""Where a workspace stands against the gateway's rate limits: a status read for its admins.

The API limit counts each signed-in user's requests, whichever workspace they act in, so a
workspace's status is its members' counts. Every gateway instance counts in the one database
(``db/rate_limits.py``), so whichever instance answers gives the same status, up to the few
hits other instances hold claimed but not yet used.
"""

from dataclasses import dataclass
from uuid import UUID

from kasa_gateway.app.workspaces import manager_membership
from kasa_gateway.db.identities import IdentityStore
from kasa_gateway.domain.rate_limits import Limiters, api_caller_key
from kasa_servicekit.auth import Principal


@dataclass(frozen=True)
class MemberUsage:
    user_id: UUID
    name: str
    used: int
    remaining: int
    reset_after: int
    """Seconds until the member's current window ends."""


@dataclass(frozen=True)
class LimitStatus:
    name: str
    scope: str
    """What one budget is for: ``user``, one signed-in person."""
    limit: int
    window_seconds: int
    members: list[MemberUsage]


async def workspace_limits(
    store: IdentityStore, limiters: Limiters, principal: Principal
) -> list[LimitStatus]:
    """Each limit that counts the workspace's members, with each member's use of it now."""
    async with store.reading() as tx:
        await manager_membership(tx, principal)
        members = await tx.members(principal.workspace_id)
    limiter = limiters.api_per_user
    users = [user for _membership, user in members]
    standing = await limiter.peek([api_caller_key(user.id) for user in users])
    usage = [
        MemberUsage(user.id, user.name, now.limit - now.remaining, now.remaining, now.reset_after)
        for user, now in zip(users, standing, strict=True)
    ]
    return [LimitStatus("api_requests", "user", limiter.limit, limiter.window, usage)]
