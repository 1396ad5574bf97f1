"""A workspace's admins see each member's live sessions in it and sign them out.

The same rules as changing a role: owners and admins manage members, and only owners manage
owners. Signing a session out goes the way every revocation goes (``revocations.announce``):
this gateway refuses its tokens at the commit, every other process when the event arrives.
"""

from uuid import UUID

from kasa_gateway.app.revocations import announce
from kasa_gateway.app.workspaces import manager_membership
from kasa_gateway.db.identities import Identities, IdentityStore, MemberSession
from kasa_gateway.domain.errors import NotAllowed, UnknownEntity
from kasa_gateway.domain.roles import can_assign
from kasa_gateway.settings import GatewaySettings
from kasa_servicekit.auth import Principal
from kasa_servicekit.db import utcnow
from kasa_servicekit.events import EventWriter

REASON = "signed_out_by_admin"
"""The revocation's reason when a workspace's admin ends someone's sessions."""


async def _managed(tx: Identities, principal: Principal, user_id: UUID) -> None:
    """Refuse unless the caller may manage the member ``user_id`` of their workspace."""
    me = await manager_membership(tx, principal)
    target = await tx.membership(user_id, principal.workspace_id)
    if target is None:
        raise UnknownEntity("member")
    if not can_assign(me.role, target.role):
        raise NotAllowed("only owners manage owners")


async def sessions_of(
    store: IdentityStore, principal: Principal, user_id: UUID
) -> list[MemberSession]:
    """The member's live sessions in the caller's workspace, most recently seen first."""
    async with store.reading() as tx:
        await _managed(tx, principal, user_id)
        return await tx.member_sessions(user_id, principal.workspace_id, utcnow())


async def sign_out(
    store: IdentityStore,
    events: EventWriter,
    settings: GatewaySettings,
    principal: Principal,
    user_id: UUID,
    session_id: UUID | None = None,
) -> list[UUID]:
    """End one session of the member in this workspace, or all of them (``session_id``
    none); the sessions ended. One that is not live, or not theirs here, is not found."""
    async with store.transaction() as tx:
        await _managed(tx, principal, user_id)
        if session_id is None:
            ended = await tx.revoke_workspace_sessions(user_id, principal.workspace_id)
        else:
            ended = await tx.revoke_member_session(user_id, principal.workspace_id, session_id)
            if not ended:
                raise UnknownEntity("session")
        await announce(
            tx,
            events,
            settings,
            principal,
            user_id=user_id,
            sessions=ended,
            reason=REASON,
            workspace_id=principal.workspace_id,
        )
    return ended
