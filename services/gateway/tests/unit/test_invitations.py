"""Invitations on an in-memory store: who may invite whom, and who may accept."""

from datetime import timedelta

import pytest

from kasa_contracts.events.identity import InvitationRevoked, MemberAdded, MemberInvited
from kasa_gateway.app import invitations
from kasa_gateway.domain.errors import AlreadyMember, NotAllowed, UnknownEntity

from .conftest import principal_of
from .helpers import join, person, workspace


@pytest.fixture
async def owner(store):
    place = await workspace(store)
    eva = await person(store, "eva@example.com")
    await join(store, eva, place, "owner")
    return principal_of(eva, place.id)


async def test_an_invitation_carries_a_link_with_a_token_kept_only_as_a_hash(
    store, events, settings, mail, owner
):
    invited = await invitations.invite(
        store, events, settings, mail, owner, "Zoe@Example.com", "member"
    )
    assert invited.url == f"{settings.public_url}/invitations/accept#token={invited.token}"
    [sent] = mail.queued
    assert (
        sent.to == "zoe@example.com"
        and invited.url in sent.text
        and invited.url in (sent.html or "")
    )
    assert invited.invitation.email == "zoe@example.com"
    assert invited.invitation.token_hash != invited.token
    assert invited.invitation.expires_at - invited.invitation.created_at == timedelta(
        days=settings.invitation_days
    )
    [made] = events.written
    assert isinstance(made.payload, MemberInvited) and made.workspace_id == owner.workspace_id


async def test_admins_do_not_invite_owners_and_members_are_not_invited_twice(
    store, events, settings, mail, owner
):
    adam = await person(store, "adam@example.com", "Adam")
    await join(store, adam, store.tx.workspaces[owner.workspace_id], "admin")
    as_adam = principal_of(adam, owner.workspace_id, "admin")
    with pytest.raises(NotAllowed, match="only owners invite owners"):
        await invitations.invite(store, events, settings, mail, as_adam, "zoe@example.com", "owner")
    with pytest.raises(AlreadyMember):
        await invitations.invite(store, events, settings, mail, owner, "ADAM@example.com", "member")


async def test_only_the_invited_email_joins_and_is_recorded_in_the_invited_workspace(
    store, events, settings, mail, owner
):
    invited = await invitations.invite(
        store, events, settings, mail, owner, "zoe@example.com", "viewer"
    )
    home = await workspace(store, "Zoe's")
    zoe, mallory = (
        await person(store, "zoe@example.com", "Zoe"),
        await person(store, "mallory@example.com", "Mallory"),
    )
    with pytest.raises(UnknownEntity):
        await invitations.accept(store, events, principal_of(mallory, home.id), invited.token)
    joined, role = await invitations.accept(
        store, events, principal_of(zoe, home.id), invited.token
    )
    assert (joined.id, role) == (owner.workspace_id, "viewer")
    [added] = [e for e in events.written if isinstance(e.payload, MemberAdded)]
    assert added.workspace_id == owner.workspace_id and added.actor.id == str(zoe.id)
    with pytest.raises(UnknownEntity):
        await invitations.accept(store, events, principal_of(zoe, home.id), invited.token)


async def test_a_revoked_invitation_is_no_longer_pending_and_revoking_twice_records_once(
    store, events, settings, mail, owner
):
    invited = await invitations.invite(
        store, events, settings, mail, owner, "zoe@example.com", "member"
    )
    assert [i.id for i in await invitations.pending(store, owner)] == [invited.invitation.id]
    for _ in range(2):
        await invitations.revoke(store, events, owner, invited.invitation.id)
    assert await invitations.pending(store, owner) == []
    assert len(events.payloads(InvitationRevoked)) == 1
