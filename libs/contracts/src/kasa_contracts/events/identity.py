"""Events published by the gateway about identities."""

from datetime import datetime
from typing import Literal
from uuid import UUID

from pydantic import Field

from kasa_contracts.changes import FieldChange
from kasa_contracts.envelope import EventPayload
from kasa_contracts.spec import EventSpec

ADDRESS_MAX_LENGTH = 100
USER_AGENT_MAX_LENGTH = 512


class FromClient(EventPayload):
    """Where a sign-in event came from: the client's address (as the gateway resolved it,
    behind trusted proxies only) and the ``User-Agent`` it sent (truncated). Both optional:
    events published before they were added carry neither."""

    address: str | None = Field(default=None, max_length=ADDRESS_MAX_LENGTH)
    user_agent: str | None = Field(default=None, max_length=USER_AGENT_MAX_LENGTH)


class UserRegistered(FromClient):
    """A person created an account and, with it, their first workspace."""

    event_type = "identity.user.registered"
    entity_type = "user"
    entity_id_field = "user_id"

    user_id: UUID
    name: str
    workspace_name: str


class UserLoggedIn(FromClient):
    """A person signed in with their password and got tokens or a web session.

    ``switch``: a signed-in member took tokens for another of their workspaces; the event is
    in the workspace they entered.
    """

    event_type = "identity.user.logged_in"
    entity_type = "user"
    entity_id_field = "user_id"

    user_id: UUID
    method: Literal["token", "web_session", "switch"] = "token"


class UserSignInFailed(FromClient):
    """A sign-in to an existing account was refused for a wrong password.

    One event per checked attempt; attempts refused unchecked while their address must wait
    are not events (``UserLockedOut`` marks the wait). ``failures`` counts the recent failures
    for this account from this address, this one included. A sign-in with an unknown email
    belongs to no workspace and is not an event.
    """

    event_type = "identity.user.sign_in_failed"
    entity_type = "user"
    entity_id_field = "user_id"

    user_id: UUID
    failures: int


class UserLockedOut(FromClient):
    """Too many failed sign-ins for this account from one address: that address must wait
    until ``locked_until`` before it may try this account again. Other addresses, the
    account's owner among them, are not held back; every further failure from the same
    address makes the wait longer."""

    event_type = "identity.user.locked_out"
    entity_type = "user"
    entity_id_field = "user_id"

    user_id: UUID
    failures: int
    locked_until: datetime


Role = Literal["owner", "admin", "member", "viewer"]


class UserLoggedOut(FromClient):
    """A person ended a session: signed out of the browser or gave up their tokens."""

    event_type = "identity.user.logged_out"
    entity_type = "user"
    entity_id_field = "user_id"

    user_id: UUID
    method: Literal["token", "web_session"] = "token"


class PasswordChanged(EventPayload):
    """A person changed their password; their other sessions were revoked with it."""

    event_type = "identity.user.password_changed"
    entity_type = "user"
    entity_id_field = "user_id"

    user_id: UUID
    changes: dict[str, FieldChange] = Field(default_factory=dict)
    """Names ``password`` as redacted; the value never travels."""


class PasswordResetRequested(FromClient):
    """Someone asked for a password-reset mail to an existing account; the mail was queued."""

    event_type = "identity.user.password_reset_requested"
    entity_type = "user"
    entity_id_field = "user_id"

    user_id: UUID


class PasswordReset(FromClient):
    """A password was set through a reset link; every session of the account was revoked."""

    event_type = "identity.user.password_reset"
    entity_type = "user"
    entity_id_field = "user_id"

    user_id: UUID


class EmailVerified(EventPayload):
    """A person proved the address of their account through the link mailed to it."""

    event_type = "identity.user.email_verified"
    entity_type = "user"
    entity_id_field = "user_id"

    user_id: UUID


class EmailChangeRequested(EventPayload):
    """A person asked to change their address; a link went to the new one, which takes over
    only once it is opened."""

    event_type = "identity.user.email_change_requested"
    entity_type = "user"
    entity_id_field = "user_id"

    user_id: UUID
    email: str = Field(max_length=320, description="the new address, not yet proven")


class EmailChanged(EventPayload):
    """A person's new address was proven and replaced the old one, which was told."""

    event_type = "identity.user.email_changed"
    entity_type = "user"
    entity_id_field = "user_id"

    user_id: UUID
    changes: dict[str, FieldChange] = Field(default_factory=dict)


class ProfileChanged(EventPayload):
    """A person changed their own profile: their name or the language Kasa speaks to them."""

    event_type = "identity.user.profile_changed"
    entity_type = "user"
    entity_id_field = "user_id"

    user_id: UUID
    changes: dict[str, FieldChange] = Field(default_factory=dict)


class WorkspaceCreated(EventPayload):
    """A member created another workspace, becoming its owner."""

    event_type = "identity.workspace.created"
    entity_type = "workspace"
    entity_id_field = "workspace_id"

    workspace_id: UUID
    name: str
    owner_id: UUID


class MemberInvited(EventPayload):
    """An owner or admin invited an email address to the workspace."""

    event_type = "identity.member.invited"
    entity_type = "invitation"
    entity_id_field = "invitation_id"

    invitation_id: UUID
    email: str
    role: Role


class InvitationRevoked(EventPayload):
    """An owner or admin withdrew an invitation before it was accepted."""

    event_type = "identity.invitation.revoked"
    entity_type = "invitation"
    entity_id_field = "invitation_id"

    invitation_id: UUID
    email: str


class MemberAdded(EventPayload):
    """A person joined the workspace (by accepting an invitation)."""

    event_type = "identity.member.added"
    entity_type = "member"
    entity_id_field = "user_id"

    user_id: UUID
    role: Role
    invitation_id: UUID | None = None


class MemberUpdated(EventPayload):
    """A member's role changed; their sessions in the workspace were revoked with it."""

    event_type = "identity.member.updated"
    entity_type = "member"
    entity_id_field = "user_id"

    user_id: UUID
    changes: dict[str, FieldChange]


class MemberRemoved(EventPayload):
    """A member left or was removed from the workspace; their sessions there were revoked."""

    event_type = "identity.member.removed"
    entity_type = "member"
    entity_id_field = "user_id"

    user_id: UUID
    role: Role


REVOCATION_REASONS = (
    "logged_out",
    "password_changed",
    "password_reset",
    "member_removed",
    "role_changed",
    "refresh_reused",
)
"""The reasons the gateway gives today. Consumers must accept any other value: a revocation
is never to be dropped because its reason is new."""

MAX_REVOKED_SESSIONS = 1000
"""Sessions per event; more are split over several events."""


class SessionRevoked(EventPayload):
    """Sessions were ended: every service refuses their access tokens until they expire.

    ``session_ids`` are the ``sid`` claims of the tokens to refuse (refresh-token families and
    web sessions). ``workspace_id`` is the workspace the sessions acted in, or none when they
    span the user's workspaces (a password change). ``reason`` is one of
    ``REVOCATION_REASONS`` or a newer one. No access token of these sessions lives past
    ``tokens_expire_by``: a deny entry may be forgotten then.
    """

    event_type = "identity.session.revoked"
    entity_type = "user"
    entity_id_field = "user_id"

    user_id: UUID
    session_ids: list[UUID] = Field(min_length=1, max_length=MAX_REVOKED_SESSIONS)
    workspace_id: UUID | None = None
    reason: str = Field(min_length=1, max_length=64)
    tokens_expire_by: datetime


SPECS = [
    EventSpec(UserRegistered, "gateway", ("audit",)),
    EventSpec(UserLoggedIn, "gateway", ("audit",)),
    EventSpec(UserLoggedOut, "gateway", ("audit",)),
    EventSpec(UserLockedOut, "gateway", ("audit", "gateway")),
    EventSpec(PasswordResetRequested, "gateway", ("audit",)),
    EventSpec(PasswordReset, "gateway", ("audit", "gateway")),
    EventSpec(UserSignInFailed, "gateway", ("audit",)),
    EventSpec(PasswordChanged, "gateway", ("audit",)),
    EventSpec(ProfileChanged, "gateway", ("audit",)),
    EventSpec(EmailVerified, "gateway", ("audit",)),
    EventSpec(EmailChangeRequested, "gateway", ("audit",)),
    EventSpec(EmailChanged, "gateway", ("audit",)),
    EventSpec(WorkspaceCreated, "gateway", ("audit",)),
    EventSpec(MemberInvited, "gateway", ("audit",)),
    EventSpec(InvitationRevoked, "gateway", ("audit",)),
    EventSpec(MemberAdded, "gateway", ("audit",)),
    EventSpec(MemberUpdated, "gateway", ("audit",)),
    EventSpec(MemberRemoved, "gateway", ("audit",)),
    # Every process that verifies tokens listens, each on a queue of its own instance.
    EventSpec(
        SessionRevoked, "gateway", ("audit", "gateway", "integrations", "invoicing", "ledger")
    ),
]
