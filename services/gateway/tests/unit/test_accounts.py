"""Accounts on an in-memory store: what registering, signing in, refreshing, logging out and
switching workspace store, refuse and record."""

import pytest

from kasa_contracts.events.identity import (
    UserLockedOut,
    UserLoggedIn,
    UserLoggedOut,
    UserRegistered,
    UserSignInFailed,
)
from kasa_gateway.app import accounts
from kasa_gateway.domain.errors import (
    EmailTaken,
    RefreshRefused,
    TooManyAttempts,
    UnknownEntity,
    WeakPassword,
    WrongCredentials,
)
from kasa_gateway.settings import GatewaySettings
from kasa_servicekit.ids import new_id

from .conftest import PASSWORD, CountingLimiter, RecordedAddressMail, principal_of


def address_mail() -> RecordedAddressMail:
    return RecordedAddressMail(GatewaySettings(DATABASE_URL="sqlite+aiosqlite:///:memory:"))


async def register(store, events, limiters, email="Eva@Example.com", mail=None):
    return await accounts.register(
        store,
        events,
        limiters,
        mail or address_mail(),
        address="10.0.0.1",
        email=email,
        password=PASSWORD,
        name="Eva",
        workspace_name="Eva s.r.o.",
    )


def credentials(email="eva@example.com", password=PASSWORD, address="10.0.0.1"):
    return accounts.Credentials(email, password, address, "Firefox/130")


async def test_registering_makes_an_owner_and_records_it_in_the_new_workspace(
    store, events, limiters
):
    user, workspace = await register(store, events, limiters)
    assert user.email == "eva@example.com", "emails are kept lower-case"
    assert (await store.tx.membership(user.id, workspace.id)).role == "owner"
    [registered] = events.written
    assert isinstance(registered.payload, UserRegistered)
    assert registered.workspace_id == workspace.id
    assert (registered.actor.type, registered.actor.id) == ("user", str(user.id))


async def test_an_email_registers_once_whatever_its_case(store, events, limiters):
    await register(store, events, limiters)
    with pytest.raises(EmailTaken):
        await register(store, events, limiters, email="EVA@example.com")
    assert len(store.tx.users) == 1


async def test_a_weak_password_is_refused_with_its_reasons(store, events, limiters):
    with pytest.raises(WeakPassword) as refused:
        await accounts.register(
            store,
            events,
            limiters,
            address_mail(),
            address="10.0.0.1",
            email="eva@example.com",
            password="eva@example.com",
            name="Eva",
            workspace_name="Eva",
        )
    assert "the password must not be the email address" in refused.value.problems
    assert store.tx.users == {} and events.written == []


async def test_registrations_per_address_are_limited(store, events, limiters):
    limiters.register_per_address = CountingLimiter(1)
    await register(store, events, limiters)
    with pytest.raises(TooManyAttempts) as refused:
        await register(store, events, limiters, email="adam@example.com")
    assert refused.value.retry_after >= 1


async def test_logging_in_issues_tokens_of_a_new_session(store, events, limiters, settings, keys):
    user, workspace = await register(store, events, limiters)
    tokens = await accounts.log_in(store, events, settings, keys, limiters, credentials())
    [stored] = store.tx.refresh_tokens.values()
    assert stored.family_id == tokens.session_id and stored.workspace_id == workspace.id
    assert stored.token_hash != tokens.refresh_token, "only a hash is kept"
    [logged_in] = events.payloads(UserLoggedIn)
    assert logged_in.user_id == user.id and logged_in.method == "token"


async def test_failed_sign_ins_make_their_address_wait_and_say_so(
    store, events, limiters, settings, keys
):
    user, workspace = await register(store, events, limiters)
    for _ in range(settings.login_failures_before_delay):
        with pytest.raises(WrongCredentials):
            await accounts.log_in(
                store, events, settings, keys, limiters, credentials(password="wrong one!")
            )
    failed = events.payloads(UserSignInFailed)
    assert [f.failures for f in failed] == [1, 2, 3], "every failed attempt is recorded"
    assert {(f.address, f.user_agent) for f in failed} == {("10.0.0.1", "Firefox/130")}
    [locked] = [e for e in events.written if isinstance(e.payload, UserLockedOut)]
    assert locked.payload.user_id == user.id and locked.workspace_id == workspace.id
    assert locked.actor.type == "system" and locked.payload.address == "10.0.0.1"
    with pytest.raises(TooManyAttempts) as refused:
        await accounts.log_in(store, events, settings, keys, limiters, credentials())
    assert refused.value.detail == "too many failed sign-ins; try again later"
    assert refused.value.retry_after <= settings.login_first_delay_seconds

    # Another address is not held back, and its success forgives only its own failures.
    await accounts.log_in(store, events, settings, keys, limiters, credentials(address="10.0.0.2"))
    [logged_in] = events.payloads(UserLoggedIn)
    assert logged_in.address == "10.0.0.2"
    with pytest.raises(TooManyAttempts):
        await accounts.log_in(store, events, settings, keys, limiters, credentials())


async def test_an_unknown_email_is_refused_like_a_wrong_password_and_records_nothing(
    store, events, limiters, settings, keys
):
    for _ in range(settings.login_failures_before_delay):
        with pytest.raises(WrongCredentials):
            await accounts.log_in(
                store, events, settings, keys, limiters, credentials(email="ghost@example.com")
            )
    assert events.written == [], "an unknown email belongs to no workspace: no event"
    assert await store.tx.sign_in_blocked_until("ghost@example.com", "10.0.0.1") is not None


async def test_refreshing_rotates_and_a_reused_token_ends_the_session(
    store, events, limiters, settings, keys
):
    await register(store, events, limiters)
    first = await accounts.log_in(store, events, settings, keys, limiters, credentials())
    second = await accounts.refresh(store, settings, keys, first.refresh_token, events)
    assert second.session_id == first.session_id and second.refresh_token != first.refresh_token
    with pytest.raises(RefreshRefused) as reused:
        await accounts.refresh(store, settings, keys, first.refresh_token, events)
    assert reused.value.detail == "refresh token reused; its session has been revoked"
    with pytest.raises(RefreshRefused):
        await accounts.refresh(store, settings, keys, second.refresh_token, events)
    with pytest.raises(RefreshRefused) as unknown:
        await accounts.refresh(store, settings, keys, "never issued", events)
    assert unknown.value.detail == "the refresh token is not valid"


async def test_logging_out_with_a_refresh_token_records_its_owner(
    store, events, limiters, settings, keys
):
    user, workspace = await register(store, events, limiters)
    tokens = await accounts.log_in(store, events, settings, keys, limiters, credentials())
    await accounts.log_out(
        store,
        events,
        principal=None,
        session_id=None,
        refresh_token=tokens.refresh_token,
        settings=settings,
    )
    [ended] = [e for e in events.written if isinstance(e.payload, UserLoggedOut)]
    assert ended.workspace_id == workspace.id
    assert (ended.actor.id, ended.actor.name) == (str(user.id), "Eva")
    assert all(t.revoked_at for t in store.tx.refresh_tokens.values())


async def test_logging_out_an_unknown_token_records_nothing(store, events, settings):
    await accounts.log_out(
        store, events, principal=None, session_id=None, refresh_token="nope", settings=settings
    )
    assert events.written == []


async def test_switching_goes_only_to_the_callers_workspaces(
    store, events, limiters, settings, keys
):
    user, workspace = await register(store, events, limiters)
    me = principal_of(user, workspace.id)
    with pytest.raises(UnknownEntity):
        await accounts.switch_workspace(store, events, settings, keys, me, new_id())
    tokens = await accounts.switch_workspace(store, events, settings, keys, me, workspace.id)
    assert tokens.access_token
    assert [e.method for e in events.payloads(UserLoggedIn)] == ["switch"]
