"""Workspaces and members on an in-memory store: who may change whom, and what is recorded."""

import pytest

from kasa_contracts.events.identity import MemberRemoved, MemberUpdated, WorkspaceCreated
from kasa_gateway.app import workspaces
from kasa_gateway.db.tables import RefreshToken
from kasa_gateway.domain.errors import AccountGone, LastOwner, NotAllowed, NotAMember, UnknownEntity
from kasa_servicekit.db import utcnow
from kasa_servicekit.ids import new_id

from .conftest import principal_of
from .helpers import join, person, workspace


@pytest.fixture
async def team(store):
    place = await workspace(store)
    eva, adam, zoe = [
        await person(store, f"{n}@example.com", n.title()) for n in ("eva", "adam", "zoe")
    ]
    await join(store, eva, place, "owner")
    await join(store, adam, place, "admin")
    await join(store, zoe, place, "member")
    return place, eva, adam, zoe


async def test_a_new_workspace_is_owned_by_its_maker_and_recorded_in_it(store, events):
    eva = await person(store, "eva@example.com")
    home = await workspace(store)
    made = await workspaces.create_workspace(store, events, principal_of(eva, home.id), "Side")
    assert (await store.tx.membership(eva.id, made.id)).role == "owner"
    [created] = events.written
    assert isinstance(created.payload, WorkspaceCreated)
    assert created.workspace_id == made.id and created.actor.id == str(eva.id)


async def test_a_vanished_account_makes_no_workspace(store, events):
    ghost = await person(store, "ghost@example.com")
    del store.tx.users[ghost.id]
    with pytest.raises(AccountGone):
        await workspaces.create_workspace(store, events, principal_of(ghost, new_id()), "X")
    assert store.tx.workspaces == {}


async def test_admins_manage_members_but_not_owners(store, events, team, settings):
    place, eva, adam, zoe = team
    as_adam = principal_of(adam, place.id, "admin")
    user, membership = await workspaces.change_role(
        store, events, as_adam, zoe.id, "viewer", settings=settings
    )
    assert (user.id, membership.role) == (zoe.id, "viewer")
    [updated] = events.payloads(MemberUpdated)
    assert updated.changes["role"].before == "member"
    with pytest.raises(NotAllowed, match="only owners manage owners"):
        await workspaces.change_role(store, events, as_adam, eva.id, "member", settings=settings)
    with pytest.raises(NotAllowed):
        await workspaces.remove_member(store, events, as_adam, eva.id, settings=settings)


async def test_members_manage_nobody_and_strangers_are_not_members(store, events, team, settings):
    place, eva, _, zoe = team
    with pytest.raises(NotAllowed, match="only owners and admins manage members"):
        await workspaces.change_role(
            store, events, principal_of(zoe, place.id), eva.id, "viewer", settings=settings
        )
    stranger = await person(store, "x@example.com")
    with pytest.raises(NotAMember):
        await workspaces.change_role(
            store, events, principal_of(stranger, place.id), zoe.id, "viewer", settings=settings
        )
    with pytest.raises(UnknownEntity):
        await workspaces.change_role(
            store, events, principal_of(eva, place.id), new_id(), "viewer", settings=settings
        )


async def test_the_last_owner_stays(store, events, team, settings):
    place, eva, _, _ = team
    as_eva = principal_of(eva, place.id)
    with pytest.raises(LastOwner):
        await workspaces.change_role(store, events, as_eva, eva.id, "admin", settings=settings)
    with pytest.raises(LastOwner):
        await workspaces.remove_member(store, events, as_eva, eva.id, settings=settings)
    assert events.written == []


async def test_a_removed_member_loses_the_sessions_of_that_workspace(store, events, team, settings):
    place, eva, _, zoe = team
    token = RefreshToken(
        id=new_id(),
        token_hash="h",
        family_id=new_id(),
        user_id=zoe.id,
        workspace_id=place.id,
        expires_at=utcnow(),
        created_at=utcnow(),
    )
    await store.tx.add(token)
    await workspaces.remove_member(
        store, events, principal_of(eva, place.id), zoe.id, settings=settings
    )
    assert await store.tx.membership(zoe.id, place.id) is None
    assert token.revoked_at is not None
    [removed] = events.payloads(MemberRemoved)
    assert (removed.user_id, removed.role) == (zoe.id, "member")


async def test_a_member_may_leave_on_their_own(store, events, team, settings):
    place, _, _, zoe = team
    await workspaces.remove_member(
        store, events, principal_of(zoe, place.id, "member"), zoe.id, settings=settings
    )
    remaining = await workspaces.members(store, principal_of(zoe, place.id))
    assert zoe.id not in {m.user_id for m, _ in remaining}
    [left] = events.written
    assert left.actor.id == str(zoe.id)
