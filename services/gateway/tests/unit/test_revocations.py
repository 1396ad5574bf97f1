"""Every way the gateway ends sessions announces them, so every service refuses their tokens."""

from datetime import timedelta

import pytest

from kasa_contracts.events.identity import MAX_REVOKED_SESSIONS, SessionRevoked
from kasa_gateway.app import accounts, profile, revocations, web_sessions, workspaces
from kasa_gateway.db.tables import RefreshToken, WebSession
from kasa_gateway.domain.errors import RefreshRefused
from kasa_gateway.tokens.passwords import hash_password
from kasa_servicekit.db import utcnow
from kasa_servicekit.ids import new_id

from .conftest import PASSWORD, principal_of
from .helpers import join, person, workspace


def family(user, place, *, alive=True) -> RefreshToken:
    now = utcnow()
    return RefreshToken(
        id=new_id(),
        token_hash=str(new_id()),
        family_id=new_id(),
        user_id=user.id,
        workspace_id=place.id,
        expires_at=now + (timedelta(days=1) if alive else -timedelta(seconds=1)),
        created_at=now,
    )


def browser(user, place) -> WebSession:
    now = utcnow()
    return WebSession(
        id=new_id(),
        token_hash=str(new_id()),
        user_id=user.id,
        workspace_id=place.id,
        expires_at=now + timedelta(hours=1),
        created_at=now,
    )


@pytest.fixture
async def team(store):
    place, other = await workspace(store), await workspace(store, "Other")
    eva, zoe = await person(store, "eva@example.com"), await person(store, "zoe@example.com")
    eva.password_hash = await hash_password(PASSWORD)
    await join(store, eva, place, "owner")
    await join(store, zoe, place, "member")
    await join(store, zoe, other, "member")
    return place, other, eva, zoe


def announced(events) -> list[SessionRevoked]:
    return list(events.payloads(SessionRevoked))  # type: ignore[arg-type]


async def test_the_tokens_of_a_revoked_session_are_refused_until_they_can_have_expired(settings):
    now = utcnow()
    until = revocations.tokens_expire_by(settings, now)
    assert until - now == timedelta(minutes=settings.access_token_minutes) + revocations.MARGIN


async def test_logging_out_announces_the_session_of_the_bearer_and_of_the_refresh_token(
    store, events, settings, team
):
    place, _, eva, _ = team
    api, web = family(eva, place), browser(eva, place)
    await store.tx.add(api, web)
    me = principal_of(eva, place.id)
    await accounts.log_out(
        store, events, principal=me, session_id=web.id, refresh_token=None, settings=settings
    )
    [ended] = announced(events)
    assert (ended.session_ids, ended.reason, ended.workspace_id) == (
        [web.id],
        "logged_out",
        place.id,
    )
    assert ended.tokens_expire_by > utcnow() + timedelta(minutes=settings.access_token_minutes)
    assert store.tx.revoked == [([web.id], ended.tokens_expire_by)], "refused here on commit"


async def test_a_browser_sign_out_announces_its_session(store, events, settings, team):
    place, _, eva, _ = team
    web = browser(eva, place)
    await store.tx.add(web)
    await web_sessions.sign_out(
        store, events, principal_of(eva, place.id), web.id, settings=settings
    )
    [ended] = announced(events)
    assert ended.session_ids == [web.id] and ended.user_id == eva.id


async def test_a_new_password_announces_every_other_live_session(
    store, events, limiters, settings, team
):
    place, other, eva, _ = team
    mine, api, web, dead = (
        family(eva, place),
        family(eva, other),
        browser(eva, place),
        family(eva, place, alive=False),
    )
    await store.tx.add(mine, api, web, dead)
    await profile.change_password(
        store,
        events,
        limiters,
        principal_of(eva, place.id),
        mine.family_id,
        current=PASSWORD,
        new="another long secret",
        settings=settings,
    )
    [ended] = announced(events)
    assert set(ended.session_ids) == {api.family_id, web.id}, "not mine, not an expired one"
    assert (ended.reason, ended.workspace_id) == ("password_changed", None)


async def test_a_role_change_and_a_removal_announce_the_members_sessions_there(
    store, events, settings, team
):
    place, other, eva, zoe = team
    here, elsewhere = family(zoe, place), family(zoe, other)
    await store.tx.add(here, elsewhere)
    owner = principal_of(eva, place.id)
    await workspaces.change_role(store, events, owner, zoe.id, "viewer", settings=settings)
    [changed] = announced(events)
    assert (changed.session_ids, changed.reason) == ([here.family_id], "role_changed")
    assert (changed.user_id, changed.workspace_id) == (zoe.id, place.id)
    assert elsewhere.revoked_at is None, "their sessions in other workspaces go on"

    again = browser(zoe, place)
    await store.tx.add(again)
    await workspaces.remove_member(store, events, owner, zoe.id, settings=settings)
    [_, removed] = announced(events)
    assert (removed.session_ids, removed.reason) == ([again.id], "member_removed")


async def test_the_same_role_again_ends_nothing(store, events, settings, team):
    place, _, eva, zoe = team
    await store.tx.add(family(zoe, place))
    await workspaces.change_role(
        store, events, principal_of(eva, place.id), zoe.id, "member", settings=settings
    )
    assert announced(events) == []


async def test_a_reused_refresh_token_announces_its_family(
    store, events, limiters, settings, keys, address_mail
):
    await accounts.register(
        store,
        events,
        limiters,
        address_mail,
        address="10.0.0.1",
        email="ada@example.com",
        password=PASSWORD,
        name="Ada",
        workspace_name="Ada",
    )
    credentials = accounts.Credentials("ada@example.com", PASSWORD, "10.0.0.1")
    first = await accounts.log_in(store, events, settings, keys, limiters, credentials)
    await accounts.refresh(store, settings, keys, first.refresh_token, events)
    with pytest.raises(RefreshRefused):
        await accounts.refresh(store, settings, keys, first.refresh_token, events)
    [ended] = announced(events)
    assert (ended.session_ids, ended.reason) == ([first.session_id], "refresh_reused")


async def test_many_sessions_are_announced_in_several_events(store, events, settings, team):
    place, _, eva, _ = team
    many = [family(eva, place) for _ in range(MAX_REVOKED_SESSIONS + 5)]
    await store.tx.add(*many)
    await revocations.announce(
        store.tx,
        events,
        settings,
        principal_of(eva, place.id),
        user_id=eva.id,
        sessions=[f.family_id for f in many],
        reason="password_changed",
        workspace_id=None,
    )
    assert [len(e.session_ids) for e in announced(events)] == [MAX_REVOKED_SESSIONS, 5]
