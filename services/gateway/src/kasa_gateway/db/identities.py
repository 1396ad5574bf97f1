"""Every read and write of identities: users, workspaces, memberships, sessions, invitations
and the failed sign-ins per account and address.

``IdentityStore`` opens units of work on the gateway's database; each yields ``Identities``,
the queries bound to that unit's session. Use cases work only through these two, so their
tests can hand them an in-memory store instead.
"""

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from sqlalchemy import and_, delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from kasa_gateway.db.tables import (
    EmailVerification,
    Invitation,
    LoginFailures,
    Membership,
    PasswordReset,
    RefreshToken,
    User,
    WebSession,
    Workspace,
)
from kasa_gateway.domain.login_throttle import Failure, Throttle, ThrottlePolicy, after_failure
from kasa_servicekit.db import Database, insert_if_absent, utcnow
from kasa_servicekit.revocations import RevokedSessions


class Identities:
    """The identity queries of one unit of work."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        """The unit's session: events of the change are written in it."""
        self.revoked: list[tuple[list[UUID], datetime]] = []
        """Sessions this unit ended, and until when their tokens live: refused on commit."""

    def ended(self, sessions: list[UUID], until: datetime) -> None:
        """Refuse these sessions' tokens in this process once the unit commits."""
        self.revoked.append((sessions, until))

    async def add(self, *rows: Any) -> None:
        """Store new rows now, in the order given (a membership after its workspace)."""
        for row in rows:
            self.session.add(row)
            await self.session.flush()

    async def delete(self, row: Any) -> None:
        await self.session.delete(row)

    async def user(self, user_id: UUID) -> User | None:
        return await self.session.get(User, user_id)

    async def user_by_email(self, email: str) -> User | None:
        return await self.session.scalar(select(User).where(User.email == email))

    async def user_name(self, user_id: UUID) -> str | None:
        return await self.session.scalar(select(User.name).where(User.id == user_id))

    async def email_taken(self, email: str) -> bool:
        found = await self.session.scalar(select(User.id).where(func.lower(User.email) == email))
        return found is not None

    async def update_user(self, user_id: UUID, **values: Any) -> None:
        await self.session.execute(update(User).where(User.id == user_id).values(**values))

    async def workspace(self, workspace_id: UUID) -> Workspace | None:
        return await self.session.get(Workspace, workspace_id)

    async def membership(self, user_id: UUID, workspace_id: UUID) -> Membership | None:
        return await self.session.get(Membership, (user_id, workspace_id))

    async def first_membership(self, user_id: UUID) -> Membership | None:
        """The user's oldest membership: the workspace a sign-in acts in."""
        return await self.session.scalar(
            select(Membership).where(Membership.user_id == user_id).order_by(Membership.created_at)
        )

    async def workspaces_of(self, user_id: UUID) -> Sequence[tuple[Workspace, str]]:
        """The user's workspaces and their role in each, oldest membership first."""
        rows = await self.session.execute(
            select(Workspace, Membership.role)
            .join(Membership, Membership.workspace_id == Workspace.id)
            .where(Membership.user_id == user_id)
            .order_by(Membership.created_at)
        )
        return [(workspace, role) for workspace, role in rows.all()]

    async def members(self, workspace_id: UUID) -> Sequence[tuple[Membership, User]]:
        rows = await self.session.execute(
            select(Membership, User)
            .join(User, User.id == Membership.user_id)
            .where(Membership.workspace_id == workspace_id)
            .order_by(Membership.created_at)
        )
        return [(membership, user) for membership, user in rows.all()]

    async def is_member(self, workspace_id: UUID, email: str) -> bool:
        found = await self.session.scalar(
            select(Membership.user_id)
            .join(User, User.id == Membership.user_id)
            .where(Membership.workspace_id == workspace_id, User.email == email)
        )
        return found is not None

    async def owners(self, workspace_id: UUID) -> int:
        count = await self.session.scalar(
            select(func.count())
            .select_from(Membership)
            .where(Membership.workspace_id == workspace_id, Membership.role == "owner")
        )
        return int(count or 0)

    async def sign_in_blocked_until(self, email: str, address: str) -> datetime | None:
        """Until when ``address`` must wait before it may try ``email`` again, if at all."""
        return await self.session.scalar(
            select(LoginFailures.blocked_until).where(
                LoginFailures.email == email, LoginFailures.address == address
            )
        )

    async def record_failure(self, policy: ThrottlePolicy, email: str, address: str) -> Failure:
        """Count a failed sign-in for ``email`` from ``address``, safe against concurrent
        failures; pairs quiet for longer than the policy remembers are dropped on the way."""
        now = utcnow()
        await self.session.execute(
            delete(LoginFailures).where(LoginFailures.last_failure_at < now - policy.forget_after)
        )
        key = {"email": email, "address": address}
        await insert_if_absent(
            self.session,
            LoginFailures.__table__,
            {**key, "failures": 0, "last_failure_at": now},
            ["email", "address"],
        )
        row = await self.session.scalar(
            select(LoginFailures)
            .where(LoginFailures.email == email, LoginFailures.address == address)
            .with_for_update()
        )
        assert row is not None
        before = Throttle(row.failures, row.last_failure_at, row.blocked_until)
        counted, failure = after_failure(before if row.failures else None, now, policy)
        row.failures, row.last_failure_at = counted.failures, counted.last_failure_at
        row.blocked_until = counted.blocked_until
        return failure

    async def clear_failures(self, email: str, address: str) -> None:
        await self.session.execute(
            delete(LoginFailures).where(
                LoginFailures.email == email, LoginFailures.address == address
            )
        )

    async def refresh_token(self, token_hash: str) -> RefreshToken | None:
        return await self.session.scalar(
            select(RefreshToken).where(RefreshToken.token_hash == token_hash)
        )

    async def use_refresh_token(self, token_id: UUID, now: datetime) -> bool:
        """Mark a live refresh token used; False when it was used or revoked already.

        The conditional update is the single point of truth under concurrency: of two
        requests presenting the same token, only one sees a row change.
        """
        claimed = await self.session.execute(
            update(RefreshToken)
            .where(
                RefreshToken.id == token_id,
                RefreshToken.used_at.is_(None),
                RefreshToken.revoked_at.is_(None),
            )
            .values(used_at=now)
        )
        return bool(getattr(claimed, "rowcount", 0))

    async def revoke_families(self, families: list[UUID]) -> list[UUID]:
        """Revoke refresh-token families; the ones that were still live."""
        return await self._revoke_families(RefreshToken.family_id.in_(families))

    async def revoke_session(self, session_id: UUID) -> list[UUID]:
        """End the session ``sid`` names, be it a refresh family or a web session."""
        ended = await self.revoke_families([session_id])
        return ended + await self._revoke_web_sessions(WebSession.id == session_id)

    async def revoke_other_sessions(self, user_id: UUID, keep: UUID | None) -> list[UUID]:
        """Revoke every session of a user except ``keep`` (the one asking)."""
        families = [RefreshToken.user_id == user_id]
        webs = [WebSession.user_id == user_id]
        if keep is not None:
            families.append(RefreshToken.family_id != keep)
            webs.append(WebSession.id != keep)
        ended = await self._revoke_families(*families)
        return ended + await self._revoke_web_sessions(*webs)

    async def member_sessions(
        self, user_id: UUID, workspace_id: UUID, now: datetime
    ) -> list["MemberSession"]:
        """The user's live sessions acting in one workspace, most recently seen first."""
        live_families = select(RefreshToken.family_id).where(
            RefreshToken.user_id == user_id,
            RefreshToken.workspace_id == workspace_id,
            RefreshToken.used_at.is_(None),
            RefreshToken.revoked_at.is_(None),
            RefreshToken.expires_at > now,
        )
        # Every rotation is a new row of the family: its newest row is when it was last used.
        families = await self.session.execute(
            select(
                RefreshToken.family_id,
                func.min(RefreshToken.created_at),
                func.max(RefreshToken.created_at),
                func.max(RefreshToken.expires_at),
                func.max(RefreshToken.address),
                func.max(RefreshToken.user_agent),
            )
            .where(RefreshToken.family_id.in_(live_families))
            .group_by(RefreshToken.family_id)
        )
        webs = await self.session.scalars(
            select(WebSession).where(
                WebSession.user_id == user_id,
                WebSession.workspace_id == workspace_id,
                WebSession.revoked_at.is_(None),
                WebSession.expires_at > now,
            )
        )
        found = [
            MemberSession(sid, "api", address, agent, started, seen, expires)
            for sid, started, seen, expires, address, agent in families.all()
        ] + [
            MemberSession(
                w.id,
                "web",
                w.address,
                w.user_agent,
                w.created_at,
                w.last_seen_at or w.created_at,
                w.expires_at,
            )
            for w in webs
        ]
        return sorted(found, key=lambda s: (s.last_seen_at, s.id), reverse=True)

    async def revoke_member_session(
        self, user_id: UUID, workspace_id: UUID, session_id: UUID
    ) -> list[UUID]:
        """End one session of a user that acts in one workspace; nothing if it is not theirs."""
        ended = await self._revoke_families(
            RefreshToken.family_id == session_id,
            RefreshToken.user_id == user_id,
            RefreshToken.workspace_id == workspace_id,
        )
        return ended + await self._revoke_web_sessions(
            WebSession.id == session_id,
            WebSession.user_id == user_id,
            WebSession.workspace_id == workspace_id,
        )

    async def revoke_workspace_sessions(self, user_id: UUID, workspace_id: UUID) -> list[UUID]:
        """End every session of a user that acts in one workspace."""
        ended = await self._revoke_families(
            RefreshToken.user_id == user_id, RefreshToken.workspace_id == workspace_id
        )
        return ended + await self._revoke_web_sessions(
            WebSession.user_id == user_id, WebSession.workspace_id == workspace_id
        )

    # The revoked rows come back from the UPDATE itself (RETURNING), so a session that starts
    # while the revocation runs is either not revoked or named: never revoked unannounced.
    async def _revoke_families(self, *where: Any) -> list[UUID]:
        now = utcnow()
        rows = await self.session.execute(
            update(RefreshToken)
            .where(*where, RefreshToken.revoked_at.is_(None))
            .values(revoked_at=now)
            .returning(RefreshToken.family_id, RefreshToken.expires_at)
        )
        # A family none of whose tokens can still be redeemed has no access token left alive.
        return list(dict.fromkeys(family for family, expires in rows.all() if expires > now))

    async def _revoke_web_sessions(self, *where: Any) -> list[UUID]:
        now = utcnow()
        rows = await self.session.execute(
            update(WebSession)
            .where(*where, WebSession.revoked_at.is_(None))
            .values(revoked_at=now)
            .returning(WebSession.id, WebSession.expires_at)
        )
        return [session for session, expires in rows.all() if expires > now]

    async def revoked_since(self, since: datetime) -> list[tuple[UUID, datetime]]:
        """Sessions revoked at ``since`` or later, each with when it was revoked."""
        families = await self.session.execute(
            select(RefreshToken.family_id, func.max(RefreshToken.revoked_at))
            .where(RefreshToken.revoked_at >= since)
            .group_by(RefreshToken.family_id)
        )
        webs = await self.session.execute(
            select(WebSession.id, WebSession.revoked_at).where(WebSession.revoked_at >= since)
        )
        return [(sid, at) for sid, at in [*families.all(), *webs.all()] if at is not None]

    async def move_web_session(
        self, session_id: UUID | None, user_id: UUID, workspace_id: UUID
    ) -> bool:
        """Let a live web session of the user act in another workspace; False if none is."""
        moved = await self.session.execute(
            update(WebSession)
            .where(
                WebSession.id == session_id,
                WebSession.user_id == user_id,
                WebSession.revoked_at.is_(None),
            )
            .values(workspace_id=workspace_id)
        )
        return getattr(moved, "rowcount", 0) == 1

    async def invitation(self, invitation_id: UUID) -> Invitation | None:
        return await self.session.get(Invitation, invitation_id)

    async def invitation_by_token(self, token_hash: str) -> Invitation | None:
        return await self.session.scalar(
            select(Invitation).where(Invitation.token_hash == token_hash)
        )

    async def pending_invitations(self, workspace_id: UUID, now: datetime) -> Sequence[Invitation]:
        """Invitations not yet accepted, revoked or expired, oldest first."""
        rows = await self.session.scalars(
            select(Invitation)
            .where(
                Invitation.workspace_id == workspace_id,
                Invitation.accepted_at.is_(None),
                Invitation.revoked_at.is_(None),
                Invitation.expires_at > now,
            )
            .order_by(Invitation.created_at)
        )
        return list(rows)

    async def password_reset_by_token(self, token_hash: str) -> PasswordReset | None:
        return await self.session.scalar(
            select(PasswordReset).where(PasswordReset.token_hash == token_hash).with_for_update()
        )

    async def password_resets_since(self, user_id: UUID, since: datetime) -> int:
        """How many reset mails the account was sent since ``since``: the budget holds across
        gateway instances and restarts."""
        count = await self.session.scalar(
            select(func.count())
            .select_from(PasswordReset)
            .where(PasswordReset.user_id == user_id, PasswordReset.created_at >= since)
        )
        return int(count or 0)

    async def end_password_resets(self, user_id: UUID, now: datetime) -> None:
        """Every other reset link of the account stops working once one is used."""
        await self.session.execute(
            update(PasswordReset)
            .where(PasswordReset.user_id == user_id, PasswordReset.used_at.is_(None))
            .values(used_at=now)
        )

    async def email_verification_by_token(self, token_hash: str) -> EmailVerification | None:
        return await self.session.scalar(
            select(EmailVerification)
            .where(EmailVerification.token_hash == token_hash)
            .with_for_update()
        )

    async def email_verifications_since(self, user_id: UUID, since: datetime) -> int:
        """How many verification mails the account was sent since ``since``."""
        count = await self.session.scalar(
            select(func.count())
            .select_from(EmailVerification)
            .where(EmailVerification.user_id == user_id, EmailVerification.created_at >= since)
        )
        return int(count or 0)

    async def pending_email(self, user_id: UUID, now: datetime) -> str | None:
        """The address the account last asked to change to, while its link still works."""
        found = await self.session.scalar(
            select(EmailVerification.email)
            .join(User, User.id == EmailVerification.user_id)
            .where(
                EmailVerification.user_id == user_id,
                EmailVerification.used_at.is_(None),
                EmailVerification.expires_at > now,
                EmailVerification.email != User.email,
            )
            .order_by(EmailVerification.created_at.desc())
            .limit(1)
        )
        return found

    async def end_email_verifications(
        self, user_id: UUID, now: datetime, email: str | None = None
    ) -> None:
        """The account's pending links (only those proving ``email``, if given) stop working."""
        query = update(EmailVerification).where(
            EmailVerification.user_id == user_id, EmailVerification.used_at.is_(None)
        )
        if email is not None:
            query = query.where(EmailVerification.email == email)
        await self.session.execute(query.values(used_at=now))

    async def revoke_all_sessions(self, user_id: UUID) -> list[UUID]:
        return await self.revoke_other_sessions(user_id, keep=None)


class IdentityStore:
    """Units of work on the gateway's database.

    With ``revoked`` (this process's deny set), sessions a unit ends are refused here the
    moment it commits, before their event has gone round the broker.
    """

    def __init__(self, db: Database, revoked: RevokedSessions | None = None) -> None:
        self.db = db
        self.revoked = revoked

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Identities]:
        """A unit that commits when the block ends and rolls back if it raises."""
        async with self.db.transaction() as session:
            unit = Identities(session)
            yield unit
        if self.revoked is not None:
            for sessions, until in unit.revoked:
                self.revoked.revoke(sessions, until.timestamp())

    @asynccontextmanager
    async def reading(self) -> AsyncIterator[Identities]:
        """A unit that only reads."""
        async with self.db.sessions() as session:
            yield Identities(session)


@dataclass(frozen=True)
class MemberSession:
    """A live session of a member: a browser's (``web``) or an API client's refresh family."""

    id: UUID
    kind: str
    address: str | None
    user_agent: str | None
    started_at: datetime
    last_seen_at: datetime
    expires_at: datetime


SEEN_EVERY = timedelta(minutes=1)
"""How stale a web session's ``last_seen_at`` may get before a request writes it again."""


@dataclass(frozen=True)
class LiveWebSession:
    id: UUID
    user_id: UUID
    name: str
    workspace_id: UUID
    role: str
    operator: bool = False
    """The user is an instance operator: the session's tokens carry the claim."""
    email_verified: bool = False
    """The user proved their address: the session's tokens carry the claim."""


async def load_web_session(db: Database, token_hash: str) -> LiveWebSession | None:
    """The live session behind a cookie's hash, with the member's current role."""
    async with db.sessions() as session:
        row = (
            await session.execute(
                select(
                    WebSession,
                    User.name,
                    Membership.role,
                    User.instance_operator,
                    User.email_verified_at,
                )
                .join(User, User.id == WebSession.user_id)
                .join(
                    Membership,
                    and_(
                        Membership.user_id == WebSession.user_id,
                        Membership.workspace_id == WebSession.workspace_id,
                    ),
                )
                .where(
                    WebSession.token_hash == token_hash,
                    WebSession.revoked_at.is_(None),
                    WebSession.expires_at > utcnow(),
                )
            )
        ).first()
    if row is None:
        return None
    web, name, role, operator, verified_at = row
    now = utcnow()
    if web.last_seen_at is None or web.last_seen_at < now - SEEN_EVERY:
        # At most once a minute per session: a page's requests stay reads.
        async with db.transaction() as session:
            await session.execute(
                update(WebSession).where(WebSession.id == web.id).values(last_seen_at=now)
            )
    return LiveWebSession(
        web.id, web.user_id, name, web.workspace_id, role, bool(operator), verified_at is not None
    )
