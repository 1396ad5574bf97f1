"""The caller's own account on an in-memory store: profile changes and the password."""

import pytest

from kasa_contracts.events.identity import PasswordChanged, ProfileChanged
from kasa_gateway.app import profile
from kasa_gateway.db.tables import WebSession
from kasa_gateway.domain.errors import AccountGone, WeakPassword, WrongPassword
from kasa_gateway.tokens.passwords import hash_password, verify_password
from kasa_servicekit.db import utcnow
from kasa_servicekit.ids import new_id

from .conftest import PASSWORD, principal_of
from .helpers import join, person, workspace


@pytest.fixture
async def eva(store):
    place = await workspace(store)
    user = await person(store, "eva@example.com")
    user.password_hash = await hash_password(PASSWORD)
    user.locale = None
    await join(store, user, place, "owner")
    return principal_of(user, place.id)


async def test_only_what_changes_is_recorded(store, events, eva):
    await profile.update_profile(store, events, eva, {"locale": "cs"})
    await profile.update_profile(store, events, eva, {"locale": "cs"})
    [changed] = events.payloads(ProfileChanged)
    assert set(changed.changes) == {"locale"} and changed.changes["locale"].after == "cs"
    found = await profile.me(store, eva)
    assert (found.user.locale, found.workspace.id, found.role) == ("cs", eva.workspace_id, "owner")


async def test_a_vanished_account_has_no_profile(store, events, eva):
    del store.tx.users[eva.user_id]
    with pytest.raises(AccountGone):
        await profile.me(store, eva)
    with pytest.raises(AccountGone):
        await profile.update_profile(store, events, eva, {"name": "X"})


def session_of(principal):
    return WebSession(
        id=new_id(),
        token_hash=str(new_id()),
        user_id=principal.user_id,
        workspace_id=principal.workspace_id,
        expires_at=utcnow(),
        created_at=utcnow(),
    )


async def test_a_new_password_ends_every_other_session(store, events, limiters, eva, settings):
    mine, other = session_of(eva), session_of(eva)
    await store.tx.add(mine, other)
    new = "another long secret"
    await profile.change_password(
        store, events, limiters, eva, mine.id, current=PASSWORD, new=new, settings=settings
    )
    assert await verify_password(store.tx.users[eva.user_id].password_hash, new)
    assert (mine.revoked_at, other.revoked_at is not None) == (None, True)
    [changed] = events.payloads(PasswordChanged)
    assert changed.changes["password"].redacted


async def test_the_current_password_must_be_right_and_the_new_one_good(
    store, events, limiters, eva, settings
):
    with pytest.raises(WrongPassword):
        await profile.change_password(
            store,
            events,
            limiters,
            eva,
            None,
            current="not it at all",
            new="another long one",
            settings=settings,
        )
    with pytest.raises(WeakPassword):
        await profile.change_password(
            store,
            events,
            limiters,
            eva,
            None,
            current=PASSWORD,
            new="eva@example.com",
            settings=settings,
        )
    assert events.written == []
