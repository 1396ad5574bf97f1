"""An in-memory identity store, recorded events and a key ring: use cases without a database."""

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any
from uuid import UUID

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from kasa_gateway.app.email_addresses import AddressMail
from kasa_gateway.app.invitations import InvitationMail
from kasa_gateway.db.tables import (
    EmailVerification,
    Invitation,
    Membership,
    RefreshToken,
    User,
    WebSession,
    Workspace,
)
from kasa_gateway.domain.login_throttle import Failure, Throttle, ThrottlePolicy, after_failure
from kasa_gateway.domain.rate_limits import Limiters
from kasa_gateway.main import MAIL
from kasa_gateway.settings import GatewaySettings
from kasa_gateway.tokens.signing_keys import KeyRing, SigningKey
from kasa_servicekit.auth import Principal
from kasa_servicekit.db import utcnow
from kasa_servicekit.events import RecordedEvents
from kasa_servicekit.mail_outbox import Mail
from kasa_servicekit.mail_templates import MailTemplates
from kasa_servicekit.rate_limits import Decision, RateLimiter

PASSWORD = "a long enough secret"


class CountingLimiter:
    """A ``Limiter`` that counts in this process (the kit's ``RateLimiter``): use cases see
    the same answers as from the database's count, without one."""

    def __init__(self, limit: int, window: int = 60) -> None:
        self.limit = limit
        self.window = window
        self.counts = RateLimiter(limit, window=window)

    async def hit(self, key: str) -> Decision:
        return self.counts.hit(key)

    async def peek(self, keys: Sequence[str]) -> list[Decision]:
        return [self.counts.peek(key) for key in keys]


class FakeIdentities:
    """``Identities`` over plain dicts. It does not roll back: a refused use case is expected
    to refuse before it writes, and the tests check that through what is stored."""

    session = None

    def __init__(self) -> None:
        self.users: dict[UUID, User] = {}
        self.workspaces: dict[UUID, Workspace] = {}
        self.memberships: dict[tuple[UUID, UUID], Membership] = {}
        self.refresh_tokens: dict[UUID, RefreshToken] = {}
        self.web_sessions: dict[UUID, WebSession] = {}
        self.invitations: dict[UUID, Invitation] = {}
        self.verifications: dict[UUID, EmailVerification] = {}
        self.throttles: dict[tuple[str, str], Throttle] = {}
        self.revoked: list[tuple[list[UUID], datetime]] = []

    async def add(self, *rows: Any) -> None:
        for row in rows:
            if isinstance(row, User):
                self.users[row.id] = row
            elif isinstance(row, Workspace):
                self.workspaces[row.id] = row
            elif isinstance(row, Membership):
                self.memberships[(row.user_id, row.workspace_id)] = row
            elif isinstance(row, RefreshToken):
                row.used_at = row.revoked_at = None
                self.refresh_tokens[row.id] = row
            elif isinstance(row, WebSession):
                row.revoked_at = None
                self.web_sessions[row.id] = row
            elif isinstance(row, Invitation):
                row.accepted_at = row.revoked_at = None
                self.invitations[row.id] = row
            elif isinstance(row, EmailVerification):
                row.used_at = None
                self.verifications[row.id] = row
            else:
                raise TypeError(row)

    async def delete(self, row: Any) -> None:
        assert isinstance(row, Membership)
        del self.memberships[(row.user_id, row.workspace_id)]

    async def user(self, user_id):
        return self.users.get(user_id)

    async def user_by_email(self, email):
        return next((u for u in self.users.values() if u.email == email), None)

    async def user_name(self, user_id):
        user = self.users.get(user_id)
        return user.name if user else None

    async def email_taken(self, email):
        return any(u.email.lower() == email for u in self.users.values())

    async def update_user(self, user_id, **values):
        for name, value in values.items():
            setattr(self.users[user_id], name, value)

    async def workspace(self, workspace_id):
        return self.workspaces.get(workspace_id)

    async def membership(self, user_id, workspace_id):
        return self.memberships.get((user_id, workspace_id))

    def _of(self, user_id):
        return sorted(
            (m for m in self.memberships.values() if m.user_id == user_id),
            key=lambda m: m.created_at,
        )

    async def first_membership(self, user_id):
        return next(iter(self._of(user_id)), None)

    async def workspaces_of(self, user_id):
        return [(self.workspaces[m.workspace_id], m.role) for m in self._of(user_id)]

    async def members(self, workspace_id):
        found = [m for m in self.memberships.values() if m.workspace_id == workspace_id]
        return [(m, self.users[m.user_id]) for m in sorted(found, key=lambda m: m.created_at)]

    async def is_member(self, workspace_id, email):
        return any(u.email == email for _, u in await self.members(workspace_id))

    async def owners(self, workspace_id):
        return sum(m.role == "owner" for m, _ in await self.members(workspace_id))

    async def sign_in_blocked_until(self, email, address):
        throttle = self.throttles.get((email, address))
        return throttle.blocked_until if throttle else None

    async def record_failure(self, policy: ThrottlePolicy, email: str, address: str) -> Failure:
        counted, failure = after_failure(self.throttles.get((email, address)), utcnow(), policy)
        self.throttles[(email, address)] = counted
        return failure

    async def clear_failures(self, email, address):
        self.throttles.pop((email, address), None)

    async def refresh_token(self, token_hash):
        return next((t for t in self.refresh_tokens.values() if t.token_hash == token_hash), None)

    async def use_refresh_token(self, token_id, now):
        token = self.refresh_tokens[token_id]
        if token.used_at or token.revoked_at:
            return False
        token.used_at = now
        return True

    async def revoke_families(self, families):
        return self._revoke(self.refresh_tokens.values(), lambda t: t.family_id in families)

    async def revoke_session(self, session_id):
        ended = await self.revoke_families([session_id])
        return ended + self._revoke(self.web_sessions.values(), lambda w: w.id == session_id)

    async def revoke_other_sessions(self, user_id, keep):
        ended = self._revoke(
            self.refresh_tokens.values(), lambda t: t.user_id == user_id and t.family_id != keep
        )
        return ended + self._revoke(
            self.web_sessions.values(), lambda w: w.user_id == user_id and w.id != keep
        )

    async def revoke_workspace_sessions(self, user_id, workspace_id):
        def theirs(row):
            return row.user_id == user_id and row.workspace_id == workspace_id

        ended = self._revoke(self.refresh_tokens.values(), theirs)
        return ended + self._revoke(self.web_sessions.values(), theirs)

    def _revoke(self, rows, matches):
        """Revoke the live rows that match; the session ids of those still redeemable."""
        now, ended = utcnow(), []
        for row in rows:
            if matches(row) and row.revoked_at is None:
                row.revoked_at = now
                if row.expires_at > now:
                    ended.append(getattr(row, "family_id", row.id))
        return list(dict.fromkeys(ended))

    def ended(self, sessions, until):
        self.revoked.append((sessions, until))

    async def move_web_session(self, session_id, user_id, workspace_id):
        web = self.web_sessions.get(session_id)
        if web is None or web.user_id != user_id or web.revoked_at is not None:
            return False
        web.workspace_id = workspace_id
        return True

    async def invitation(self, invitation_id):
        return self.invitations.get(invitation_id)

    async def invitation_by_token(self, token_hash):
        return next((i for i in self.invitations.values() if i.token_hash == token_hash), None)

    async def pending_invitations(self, workspace_id, now: datetime):
        return sorted(
            (
                i
                for i in self.invitations.values()
                if i.workspace_id == workspace_id
                and i.accepted_at is None
                and i.revoked_at is None
                and i.expires_at > now
            ),
            key=lambda i: i.created_at,
        )

    async def email_verification_by_token(self, token_hash):
        return next((v for v in self.verifications.values() if v.token_hash == token_hash), None)

    async def email_verifications_since(self, user_id, since):
        return sum(
            v.user_id == user_id and v.created_at >= since for v in self.verifications.values()
        )

    async def pending_email(self, user_id, now):
        user = self.users.get(user_id)
        waiting = [
            v
            for v in self.verifications.values()
            if user
            and v.user_id == user_id
            and v.used_at is None
            and v.expires_at > now
            and v.email != user.email
        ]
        return max(waiting, key=lambda v: v.created_at).email if waiting else None

    async def end_email_verifications(self, user_id, now, email=None):
        for v in self.verifications.values():
            if v.user_id == user_id and v.used_at is None and email in (None, v.email):
                v.used_at = now


class FakeStore:
    """``IdentityStore`` whose every unit of work sees the same in-memory identities."""

    def __init__(self) -> None:
        self.tx = FakeIdentities()

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[FakeIdentities]:
        yield self.tx

    @asynccontextmanager
    async def reading(self) -> AsyncIterator[FakeIdentities]:
        yield self.tx


@pytest.fixture
def store() -> FakeStore:
    return FakeStore()


@pytest.fixture
def events() -> RecordedEvents:
    return RecordedEvents("gateway")


@pytest.fixture
def settings(monkeypatch) -> GatewaySettings:
    # Nothing here opens the database; the settings only insist on naming one.
    monkeypatch.setenv("DATABASE_URL", "sqlite+aiosqlite:///:memory:")
    monkeypatch.setenv("LOGIN_FAILURES_BEFORE_DELAY", "3")
    return GatewaySettings()


@pytest.fixture
def keys() -> KeyRing:
    return KeyRing(SigningKey(Ed25519PrivateKey.generate(), kid="test"))


@pytest.fixture
def limiters() -> Limiters:
    return Limiters(
        CountingLimiter(100),
        CountingLimiter(100),
        CountingLimiter(100),
        CountingLimiter(1000),
        CountingLimiter(100),
    )


def principal_of(
    user: User, workspace_id: UUID, role: str = "owner", *, email_verified: bool = True
) -> Principal:
    return Principal(
        user_id=user.id,
        workspace_id=workspace_id,
        role=role,
        name=user.name,
        email_verified=email_verified,
    )


class RecordedMail(InvitationMail):
    """The invitation mail as the use cases queue it, kept in a list instead of the outbox."""

    def __init__(self, settings: GatewaySettings) -> None:
        super().__init__(MailTemplates(MAIL, settings.public_url), CountingLimiter(3, window=3600))
        self.queued: list[Mail] = []

    async def queue(self, session: Any, mail: Mail) -> None:
        self.queued.append(mail)


@pytest.fixture
def mail(settings: GatewaySettings) -> RecordedMail:
    return RecordedMail(settings)


class RecordedAddressMail(AddressMail):
    """The verification mail as the use cases queue it, kept in a list."""

    def __init__(self, settings: GatewaySettings) -> None:
        super().__init__(MailTemplates(MAIL, settings.public_url), settings)
        object.__setattr__(self, "queued", [])

    async def queue(self, session: Any, mail: Mail) -> None:
        self.queued.append(mail)


@pytest.fixture
def address_mail(settings: GatewaySettings) -> RecordedAddressMail:
    return RecordedAddressMail(settings)
