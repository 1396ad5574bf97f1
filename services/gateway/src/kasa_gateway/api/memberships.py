"""The caller's membership, read fresh from the database for decisions that need the true role.

An access token's role can be up to its lifetime old; managing members goes by the current one.
"""

from typing import Any
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from kasa_contracts import Actor, Envelope, EventPayload
from kasa_gateway.db.tables import Membership
from kasa_gateway.domain.roles import can_manage_members
from kasa_servicekit.auth import Principal
from kasa_servicekit.outbox import make_envelope
from kasa_servicekit.problems import ProblemError


async def manager_membership(session: AsyncSession, principal: Principal) -> Membership:
    membership = await session.get(Membership, (principal.user_id, principal.workspace_id))
    if membership is None:
        raise ProblemError(401, "Unauthorized", "not a member of this workspace")
    if not can_manage_members(membership.role):
        raise ProblemError(403, "Forbidden", "only owners and admins manage members")
    return membership


def identity_event(
    payload: EventPayload, principal: Principal, workspace_id: UUID | None = None
) -> Envelope[Any]:
    """An identity event caused by the caller, in their workspace unless told otherwise."""
    return make_envelope(
        payload,
        producer="gateway",
        workspace_id=workspace_id or principal.workspace_id,
        actor=Actor(type="user", id=str(principal.user_id), name=principal.name),
    )
