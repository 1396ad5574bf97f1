"""Workspaces the caller belongs to, creating one, and managing a workspace's members.

Managing members goes by the caller's membership read fresh from the database. A member's
new role, or their removal, ends their sessions in that workspace: the access tokens that
still carry the old role are refused everywhere, and they sign in again to act with the new
one.
"""

from collections.abc import Sequence
from uuid import UUID

from kasa_contracts.changes import diff
from kasa_contracts.events.identity import MemberRemoved, MemberUpdated, WorkspaceCreated
from kasa_gateway.app.revocations import announce
from kasa_gateway.db.identities import Identities, IdentityStore
from kasa_gateway.db.tables import Membership, User, Workspace
from kasa_gateway.domain.errors import AccountGone, LastOwner, NotAllowed, NotAMember, UnknownEntity
from kasa_gateway.domain.roles import can_assign, can_manage_members
from kasa_gateway.settings import GatewaySettings
from kasa_servicekit.auth import Principal
from kasa_servicekit.db import utcnow
from kasa_servicekit.events import At, EventWriter
from kasa_servicekit.ids import new_id


async def manager_membership(tx: Identities, principal: Principal) -> Membership:
    """The caller's current membership, if it may manage members."""
    membership = await tx.membership(principal.user_id, principal.workspace_id)
    if membership is None:
        raise NotAMember
    if not can_manage_members(membership.role):
        raise NotAllowed("only owners and admins manage members")
    return membership


async def workspaces_of(
    store: IdentityStore, principal: Principal
) -> Sequence[tuple[Workspace, str]]:
    """Every workspace the caller is a member of, with their role in it."""
    async with store.reading() as tx:
        return await tx.workspaces_of(principal.user_id)


async def create_workspace(
    store: IdentityStore, events: EventWriter, principal: Principal, name: str
) -> Workspace:
    """A new workspace owned by the caller."""
    now = utcnow()
    workspace = Workspace(id=new_id(), name=name, created_at=now)
    async with store.transaction() as tx:
        if await tx.user(principal.user_id) is None:
            raise AccountGone
        await tx.add(workspace)
        await tx.add(
            Membership(
                user_id=principal.user_id, workspace_id=workspace.id, role="owner", created_at=now
            )
        )
        created = WorkspaceCreated(
            workspace_id=workspace.id, name=workspace.name, owner_id=principal.user_id
        )
        # The caller's change, recorded in the workspace it made.
        await events.write(tx.session, created, on=At(workspace.id, principal.actor))
    return workspace


async def members(store: IdentityStore, principal: Principal) -> Sequence[tuple[Membership, User]]:
    """The members of the caller's current workspace."""
    async with store.reading() as tx:
        return await tx.members(principal.workspace_id)


async def _keeps_an_owner(tx: Identities, target: Membership) -> None:
    if await tx.owners(target.workspace_id) == 1:
        raise LastOwner


async def change_role(
    store: IdentityStore,
    events: EventWriter,
    principal: Principal,
    user_id: UUID,
    role: str,
    *,
    settings: GatewaySettings,
) -> tuple[User, Membership]:
    """Change a member's role (owners and admins; only owners touch owners)."""
    async with store.transaction() as tx:
        me = await manager_membership(tx, principal)
        target = await tx.membership(user_id, principal.workspace_id)
        user = await tx.user(user_id)
        if target is None or user is None:
            raise UnknownEntity("member")
        if not can_assign(me.role, target.role, role):
            raise NotAllowed("only owners manage owners")
        if target.role == "owner" and role != "owner":
            await _keeps_an_owner(tx, target)
        changes = diff({"role": target.role}, {"role": role})
        target.role = role
        if changes:
            await events.write(
                tx.session, MemberUpdated(user_id=user_id, changes=changes), on=principal
            )
            await _end_sessions(tx, events, settings, principal, user_id, "role_changed")
    return user, target


async def remove_member(
    store: IdentityStore,
    events: EventWriter,
    principal: Principal,
    user_id: UUID,
    *,
    settings: GatewaySettings,
) -> None:
    """Remove a member (owners and admins), or leave the workspace yourself."""
    async with store.transaction() as tx:
        target = await tx.membership(user_id, principal.workspace_id)
        if user_id != principal.user_id:
            me = await manager_membership(tx, principal)
            if target is None:
                raise UnknownEntity("member")
            if not can_assign(me.role, target.role):
                raise NotAllowed("only owners manage owners")
        elif target is None:
            raise UnknownEntity("member")
        if target.role == "owner":
            await _keeps_an_owner(tx, target)
        role = target.role
        await tx.delete(target)
        await events.write(tx.session, MemberRemoved(user_id=user_id, role=role), on=principal)
        await _end_sessions(tx, events, settings, principal, user_id, "member_removed")


async def _end_sessions(
    tx: Identities,
    events: EventWriter,
    settings: GatewaySettings,
    principal: Principal,
    user_id: UUID,
    reason: str,
) -> None:
    """End the member's sessions in the caller's workspace, access tokens included."""
    ended = await tx.revoke_workspace_sessions(user_id, principal.workspace_id)
    await announce(
        tx,
        events,
        settings,
        principal,
        user_id=user_id,
        sessions=ended,
        reason=reason,
        workspace_id=principal.workspace_id,
    )
