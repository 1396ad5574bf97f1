"""Proving and changing one's address on an in-memory store."""

from datetime import timedelta

import pytest

from kasa_contracts.events.identity import EmailChanged, EmailChangeRequested, EmailVerified
from kasa_gateway.app import email_addresses, invitations
from kasa_gateway.domain.errors import (
    AlreadyVerified,
    EmailTaken,
    SameEmail,
    TooManyAttempts,
    VerificationLinkRefused,
    WrongPassword,
)
from kasa_gateway.tokens.passwords import hash_password
from kasa_servicekit.problems import ProblemError

from .conftest import PASSWORD, principal_of
from .test_accounts import register


def token_of(mail) -> str:
    return mail.text.split("token=")[1].split()[0]


@pytest.fixture
async def eva(store, events, limiters, address_mail):
    user, place = await register(store, events, limiters, mail=address_mail)
    user.password_hash = await hash_password(PASSWORD)
    events.written.clear()
    return user, place


async def test_sign_up_mails_a_link_that_proves_the_address_once(store, events, address_mail, eva):
    user, _ = eva
    [sent] = address_mail.queued
    assert sent.to == "eva@example.com" and sent.kind == "email_verification"
    assert user.email_verified_at is None
    [link] = store.tx.verifications.values()
    assert link.token_hash != token_of(sent), "only the token's hash is kept"

    verified = await email_addresses.verify(store, events, address_mail, token_of(sent))
    assert (verified.email, verified.changed) == ("eva@example.com", False)
    assert user.email_verified_at is not None
    [proved] = events.written
    assert isinstance(proved.payload, EmailVerified) and proved.actor.id == str(user.id)
    with pytest.raises(VerificationLinkRefused):
        await email_addresses.verify(store, events, address_mail, token_of(sent))


async def test_an_expired_or_unknown_link_proves_nothing(store, events, address_mail, eva):
    user, _ = eva
    [link] = store.tx.verifications.values()
    link.expires_at -= timedelta(hours=49)
    for token in (token_of(address_mail.queued[0]), "made-up"):
        with pytest.raises(VerificationLinkRefused):
            await email_addresses.verify(store, events, address_mail, token)
    assert user.email_verified_at is None and events.written == []


async def test_until_the_address_is_proven_nobody_is_invited(
    store, events, settings, mail, address_mail, eva
):
    user, place = eva
    unproven = principal_of(user, place.id, email_verified=False)
    with pytest.raises(ProblemError) as refused:
        await invitations.invite(
            store, events, settings, mail, unproven, "zoe@example.com", "member"
        )
    assert refused.value.status == 403 and refused.value.extra["reason"] == "email_unverified"
    assert store.tx.invitations == {} and mail.queued == []


async def test_a_new_link_is_sent_on_request_within_a_budget(
    store, events, settings, address_mail, eva
):
    user, place = eva
    me = principal_of(user, place.id, email_verified=False)
    for _ in range(settings.email_verifications_per_account_hour - 1):
        await email_addresses.resend(store, address_mail, me)
    with pytest.raises(TooManyAttempts):
        await email_addresses.resend(store, address_mail, me)
    assert len(address_mail.queued) == settings.email_verifications_per_account_hour
    await email_addresses.verify(store, events, address_mail, token_of(address_mail.queued[-1]))
    with pytest.raises(AlreadyVerified):
        await email_addresses.resend(store, address_mail, me)
    with pytest.raises(VerificationLinkRefused):  # the older links died with the proof
        await email_addresses.verify(store, events, address_mail, token_of(address_mail.queued[0]))


async def test_a_change_waits_for_the_new_address_then_tells_the_old_one(
    store, events, limiters, address_mail, eva
):
    user, place = eva
    me = principal_of(user, place.id)
    change = email_addresses.request_change
    with pytest.raises(WrongPassword):
        await change(store, events, limiters, address_mail, me, email="a@x.cz", password="nope")
    with pytest.raises(SameEmail):
        await change(
            store, events, limiters, address_mail, me, email="EVA@example.com", password=PASSWORD
        )
    await register(store, events, limiters, email="taken@example.com")
    with pytest.raises(EmailTaken):
        await change(
            store, events, limiters, address_mail, me, email="taken@example.com", password=PASSWORD
        )
    events.written.clear()
    address_mail.queued.clear()

    await change(store, events, limiters, address_mail, me, email="Eva@New.cz", password=PASSWORD)
    [link_mail] = address_mail.queued
    assert link_mail.to == "eva@new.cz" and "eva@new.cz" in link_mail.text
    assert user.email == "eva@example.com", "the old address stays until the new one is proven"
    assert await store.tx.pending_email(user.id, user.created_at) == "eva@new.cz"
    [requested] = events.written
    assert isinstance(requested.payload, EmailChangeRequested)

    verified = await email_addresses.verify(store, events, address_mail, token_of(link_mail))
    assert (verified.email, verified.changed) == ("eva@new.cz", True)
    assert user.email == "eva@new.cz" and user.email_verified_at is not None
    changed = events.written[-1].payload
    assert isinstance(changed, EmailChanged)
    assert (changed.changes["email"].before, changed.changes["email"].after) == (
        "eva@example.com",
        "eva@new.cz",
    )
    told = address_mail.queued[-1]
    assert told.to == "eva@example.com" and told.kind == "email_changed"
    assert "eva@new.cz" in told.text
    # The sign-up link died with the change: it would prove an address the account left.
    sign_up_link = next(v for v in store.tx.verifications.values() if v.email == "eva@example.com")
    assert sign_up_link.used_at is not None
