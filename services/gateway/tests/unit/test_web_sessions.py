"""Browser sessions on an in-memory store: signing in, moving workspace, signing out."""

import pytest

from kasa_contracts.events.identity import UserLoggedIn, UserLoggedOut
from kasa_gateway.app import web_sessions
from kasa_gateway.app.accounts import Credentials
from kasa_gateway.domain.errors import NotABrowserSession, UnknownEntity
from kasa_gateway.tokens.opaque import csrf_matches, secret_hash
from kasa_gateway.tokens.passwords import hash_password
from kasa_servicekit.ids import new_id

from .conftest import PASSWORD, principal_of
from .helpers import join, person, workspace


@pytest.fixture
async def eva(store):
    user = await person(store, "eva@example.com")
    user.password_hash = await hash_password(PASSWORD)
    home, side = await workspace(store), await workspace(store, "Side")
    await join(store, user, home, "owner")
    await join(store, user, side, "member")
    return user, home, side


async def test_signing_in_opens_a_session_whose_csrf_token_only_its_cookie_knows(
    store, events, settings, limiters, eva
):
    _, home, _ = eva
    credentials = Credentials("eva@example.com", PASSWORD, "10.0.0.1")
    signed_in = await web_sessions.sign_in(store, events, settings, limiters, credentials)
    [stored] = store.tx.web_sessions.values()
    assert stored.token_hash == secret_hash(signed_in.token) and stored.workspace_id == home.id
    assert csrf_matches(signed_in.token, signed_in.csrf_token)
    assert signed_in.lifetime.total_seconds() == settings.web_session_hours * 3600
    assert [e.method for e in events.payloads(UserLoggedIn)] == ["web_session"]


async def test_a_browser_session_moves_to_another_of_the_callers_workspaces(
    store, events, settings, limiters, eva
):
    user, home, side = eva
    credentials = Credentials("eva@example.com", PASSWORD, "10.0.0.1")
    await web_sessions.sign_in(store, events, settings, limiters, credentials)
    [stored] = store.tx.web_sessions.values()
    me = principal_of(user, home.id)
    await web_sessions.switch_workspace(store, events, me, stored.id, side.id)
    assert stored.workspace_id == side.id
    with pytest.raises(UnknownEntity):
        await web_sessions.switch_workspace(store, events, me, stored.id, new_id())
    with pytest.raises(NotABrowserSession):
        await web_sessions.switch_workspace(store, events, me, new_id(), home.id)


async def test_signing_out_ends_the_session_and_records_the_caller(
    store, events, settings, limiters, eva
):
    user, home, _ = eva
    credentials = Credentials("eva@example.com", PASSWORD, "10.0.0.1")
    await web_sessions.sign_in(store, events, settings, limiters, credentials)
    [stored] = store.tx.web_sessions.values()
    await web_sessions.sign_out(
        store, events, principal_of(user, home.id), stored.id, settings=settings
    )
    assert stored.revoked_at is not None
    [ended] = [e for e in events.written if isinstance(e.payload, UserLoggedOut)]
    assert ended.payload.method == "web_session" and ended.workspace_id == home.id
