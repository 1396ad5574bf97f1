"""Granting and revoking the instance operator: a flag on the user, never a workspace role.

Granted, it shows in the user's next access token (a browser session's within seconds).
Revoked, every session of the user ends, so no token that still carries the claim outlives
the revocation (``identity.session.revoked``, as a password change does).
"""

from kasa_contracts import Actor
from kasa_gateway.app.revocations import announce
from kasa_gateway.db.identities import IdentityStore
from kasa_gateway.domain.errors import UnknownEntity
from kasa_gateway.settings import GatewaySettings
from kasa_servicekit.events import At, EventWriter

COMMAND_ACTOR = Actor(type="system", id="gateway", name="kasa-gateway revoke-operator")
REVOKED_REASON = "operator_revoked"


async def grant(store: IdentityStore, email: str) -> bool:
    """Make the user with ``email`` an instance operator; False if they were one already."""
    async with store.transaction() as tx:
        user = await tx.user_by_email(email.strip().lower())
        if user is None:
            raise UnknownEntity(f"a user with the email {email}")
        if user.instance_operator:
            return False
        await tx.update_user(user.id, instance_operator=True)
    return True


async def revoke(
    store: IdentityStore, events: EventWriter, settings: GatewaySettings, email: str
) -> int | None:
    """Take the instance operator away and end the user's sessions; how many ended, or None
    if the user was no operator (nothing changes then)."""
    async with store.transaction() as tx:
        user = await tx.user_by_email(email.strip().lower())
        if user is None:
            raise UnknownEntity(f"a user with the email {email}")
        if not user.instance_operator:
            return None
        await tx.update_user(user.id, instance_operator=False)
        ended = await tx.revoke_other_sessions(user.id, keep=None)
        membership = await tx.first_membership(user.id)
        if membership is not None:
            await announce(
                tx,
                events,
                settings,
                At(membership.workspace_id, COMMAND_ACTOR),
                user_id=user.id,
                sessions=ended,
                reason=REVOKED_REASON,
                workspace_id=None,
            )
    return len(ended)
