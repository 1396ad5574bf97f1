"""The deny set: a revoked session's tokens are refused on every call until they expire."""

import asyncio
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import jwt
import pytest
from sqlalchemy import MetaData

from kasa_contracts import Actor, Envelope
from kasa_contracts.events.identity import SessionRevoked
from kasa_servicekit.auth import JwksVerifier
from kasa_servicekit.consumers import InstanceConsumer
from kasa_servicekit.problems import ProblemError
from kasa_servicekit.revocations import RevokedSessions, snapshot_url
from kasa_servicekit.service import ServiceSpec, create_app
from kasa_servicekit.settings import ServiceSettings
from kasa_servicekit.testing import TokenIssuer


class Clock:
    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now


def verifier_over(issuer: TokenIssuer, revoked: RevokedSessions) -> JwksVerifier:
    return JwksVerifier.with_keys([issuer.public_jwk()], issuer.issuer, issuer.audience, revoked)


def revoked_event(*sessions: uuid.UUID, until: datetime) -> Envelope[SessionRevoked]:
    payload = SessionRevoked(
        user_id=uuid.uuid4(),
        session_ids=list(sessions),
        workspace_id=uuid.uuid4(),
        reason="logged_out",
        tokens_expire_by=until,
    )
    return Envelope[SessionRevoked](
        event_id=uuid.uuid4(),
        event_type=payload.event_type,
        event_version=1,
        occurred_at=datetime.now(UTC),
        producer="gateway",
        workspace_id=uuid.uuid4(),
        actor=Actor(type="user", id="u"),
        correlation_id="c",
        payload=payload,
    )


async def test_a_remembered_token_is_refused_once_its_session_is_revoked():
    issuer, revoked = TokenIssuer(), RevokedSessions()
    verifier = verifier_over(issuer, revoked)
    session = uuid.uuid4()
    token = issuer.token(uuid.uuid4(), session_id=session)
    await verifier.verify(token)  # verified and remembered
    await revoked.handle(revoked_event(session, until=datetime.now(UTC) + timedelta(minutes=16)))
    with pytest.raises(ProblemError) as refused:
        await verifier.verify(token)
    assert refused.value.status == 401
    other = issuer.token(uuid.uuid4(), session_id=uuid.uuid4())
    assert await verifier.verify(other), "other sessions go on"


async def test_a_token_without_a_session_is_refused():
    issuer = TokenIssuer()
    verifier = verifier_over(issuer, RevokedSessions())
    claims = jwt.decode(issuer.token(uuid.uuid4()), options={"verify_signature": False})
    del claims["sid"]
    token = jwt.encode(claims, issuer._key, algorithm="EdDSA", headers={"kid": issuer.kid})
    with pytest.raises(ProblemError) as refused:
        await verifier.verify(token)
    assert refused.value.status == 401


def test_a_deny_entry_is_forgotten_when_the_sessions_tokens_have_expired():
    clock = Clock()
    revoked = RevokedSessions(clock=clock)
    session = str(uuid.uuid4())
    revoked.revoke([session], clock.now + 60)
    revoked.revoke([session], clock.now + 30)  # an earlier end never shortens a later one
    clock.now += 59
    assert revoked.is_revoked(session)
    clock.now += 2
    assert not revoked.is_revoked(session)
    assert len(revoked) == 0
    revoked.revoke([session], clock.now - 1)
    assert not revoked.is_revoked(session), "an entry already over is not kept"


async def test_revocations_made_before_the_start_are_read_before_the_first_check():
    issuer = TokenIssuer()
    before = uuid.uuid4()
    reads = []

    async def snapshot():
        reads.append(1)
        return [(str(before), time.time() + 600)]

    verifier = verifier_over(issuer, RevokedSessions(snapshot))
    with pytest.raises(ProblemError) as refused:
        await verifier.verify(issuer.token(uuid.uuid4(), session_id=before))
    assert refused.value.status == 401
    assert await verifier.verify(issuer.token(uuid.uuid4()))
    assert reads == [1], "read once"


async def test_no_token_is_believed_while_the_revocations_cannot_be_read():
    issuer = TokenIssuer()

    async def unreachable():
        raise OSError("the gateway is away")

    verifier = verifier_over(issuer, RevokedSessions(unreachable))
    with pytest.raises(ProblemError) as refused:
        await verifier.verify(issuer.token(uuid.uuid4()))
    assert refused.value.status == 503


async def test_the_list_is_read_again_while_the_broker_is_away():
    reads = []

    async def snapshot():
        reads.append(1)
        return []

    revoked = RevokedSessions(snapshot)
    listening = False
    keeping = asyncio.create_task(revoked.keep_up(lambda: listening, poll_seconds=0.01))
    await asyncio.sleep(0.1)
    assert len(reads) > 2, "polled while not listening"
    listening = True
    await asyncio.sleep(0.02)
    count = len(reads)
    await asyncio.sleep(0.1)
    keeping.cancel()
    assert len(reads) == count, "no polling while the queue brings every revocation"


def test_the_list_is_served_beside_the_jwks():
    assert (
        snapshot_url("http://gateway:8000/.well-known/jwks.json")
        == "http://gateway:8000/.well-known/revoked-sessions.json"
    )


def test_every_service_gets_its_own_instance_queue_of_revocations(tmp_path: Path, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path}/x.db")
    monkeypatch.setenv("RUN_CONSUMERS", "false")
    monkeypatch.setenv("EVENT_SENDER_CHECK", "false")
    spec = ServiceSpec(
        name="notes",
        version="0",
        settings=ServiceSettings(),  # type: ignore[call-arg]
        metadata=MetaData(),
        migrations=tmp_path,
    )
    app = create_app(spec)
    [queue] = [c for c in app.state.runtime.bus.consumers if isinstance(c, InstanceConsumer)]
    assert queue.queue.startswith("notes.revocations.")
    assert queue.routing_keys == (SessionRevoked.routing_key(),)
    assert app.state.verifier.revoked is app.state.revoked_sessions
