"""Identities: users, workspaces, memberships, invitations, refresh tokens, web sessions, the
failed sign-ins per account and address, and the rate limits' windows."""

from datetime import datetime
from uuid import UUID

from sqlalchemy import BigInteger, Boolean, ForeignKey, Integer, MetaData, String, false
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from kasa_servicekit.db import UtcDateTime
from kasa_servicekit.orm import NAMING


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class User(Base):
    __tablename__ = "users"

    id: Mapped[UUID] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True, comment="stored lower-case")
    name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(200))
    locale: Mapped[str | None] = mapped_column(
        String(8), comment="the language Kasa speaks to this person; none: the browser's"
    )
    instance_operator: Mapped[bool] = mapped_column(
        Boolean,
        default=False,
        server_default=false(),
        comment="may operate the instance (status, parked messages); granted by a command",
    )
    email_verified_at: Mapped[datetime | None] = mapped_column(
        UtcDateTime, comment="when the owner of the address proved it; none: not yet"
    )
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class Workspace(Base):
    __tablename__ = "workspaces"

    id: Mapped[UUID] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class Membership(Base):
    __tablename__ = "memberships"

    user_id: Mapped[UUID] = mapped_column(ForeignKey("users.id"), primary_key=True)
    workspace_id: Mapped[UUID] = mapped_column(ForeignKey("workspaces.id"), primary_key=True)
    role: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class RefreshToken(Base):
    """An opaque refresh token, kept only as a hash."""

    __tablename__ = "refresh_tokens"

    id: Mapped[UUID] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    family_id: Mapped[UUID] = mapped_column(index=True)
    user_id: Mapped[UUID] = mapped_column(ForeignKey("users.id"))
    workspace_id: Mapped[UUID] = mapped_column(ForeignKey("workspaces.id"))
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime, index=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    address: Mapped[str | None] = mapped_column(
        String(100), comment="where the family's sign-in came from; kept on every rotation"
    )
    user_agent: Mapped[str | None] = mapped_column(String(512))


class WebSession(Base):
    """A browser session behind an HttpOnly cookie; the cookie value is kept only as a hash."""

    __tablename__ = "web_sessions"

    id: Mapped[UUID] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[UUID] = mapped_column(ForeignKey("users.id"), index=True)
    workspace_id: Mapped[UUID] = mapped_column(ForeignKey("workspaces.id"))
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime, index=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    address: Mapped[str | None] = mapped_column(String(100), comment="where the sign-in came from")
    user_agent: Mapped[str | None] = mapped_column(String(512))
    last_seen_at: Mapped[datetime | None] = mapped_column(
        UtcDateTime, comment="a request used the session; written at most once a minute"
    )


class Invitation(Base):
    """An invitation to join a workspace; the token in its link is kept only as a hash."""

    __tablename__ = "invitations"

    id: Mapped[UUID] = mapped_column(primary_key=True)
    workspace_id: Mapped[UUID] = mapped_column(ForeignKey("workspaces.id"), index=True)
    email: Mapped[str] = mapped_column(String(320), comment="stored lower-case")
    role: Mapped[str] = mapped_column(String(16))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    invited_by: Mapped[UUID] = mapped_column(ForeignKey("users.id"))
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)
    accepted_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class LoginFailures(Base):
    """Recent failed sign-ins per email (known or not, so a wait reveals nothing) and client
    address (an IPv6 address's /64), and until when that address must wait."""

    __tablename__ = "login_failures"

    email: Mapped[str] = mapped_column(String(320), primary_key=True)
    address: Mapped[str] = mapped_column(String(64), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    last_failure_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    blocked_until: Mapped[datetime | None] = mapped_column(UtcDateTime)


class RateLimitWindow(Base):
    """The current window of one key of one rate limit, counted by every gateway instance: it
    starts with the key's first hit, and the first hit after it ends starts the next in the
    same row. Rows of ended windows are deleted now and then."""

    __tablename__ = "rate_limit_windows"

    name: Mapped[str] = mapped_column(String(32), primary_key=True, comment="which limit")
    key: Mapped[str] = mapped_column(
        String(128),
        primary_key=True,
        comment="what the limit counts (a user, an address); a longer key is kept as its hash",
    )
    window_start: Mapped[int] = mapped_column(BigInteger, comment="seconds since the epoch")
    window_end: Mapped[int] = mapped_column(
        BigInteger, index=True, comment="seconds since the epoch; from then on the row is stale"
    )
    hits: Mapped[int] = mapped_column(
        Integer, comment="hits counted or handed to an instance in the window; may pass the limit"
    )


metadata = Base.metadata


class PasswordReset(Base):
    """A password-reset link sent by mail: its token is kept only as a hash, works once and
    expires (``PASSWORD_RESET_MINUTES``)."""

    __tablename__ = "password_resets"

    id: Mapped[UUID] = mapped_column(primary_key=True)
    user_id: Mapped[UUID] = mapped_column(ForeignKey("users.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    requested_from: Mapped[str | None] = mapped_column(String(64))
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)


class EmailVerification(Base):
    """A link that proves an address: the account's own (after sign-up) or the one it asked to
    change to. Its token is kept only as a hash, works once and expires."""

    __tablename__ = "email_verifications"

    id: Mapped[UUID] = mapped_column(primary_key=True)
    user_id: Mapped[UUID] = mapped_column(ForeignKey("users.id"), index=True)
    email: Mapped[str] = mapped_column(String(320), comment="the address the link proves")
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
