"""Events published by the gateway about identities."""

from uuid import UUID

from kasa_contracts.envelope import EventPayload
from kasa_contracts.spec import EventSpec


class UserRegistered(EventPayload):
    """A person created an account and, with it, their first workspace."""

    event_type = "identity.user.registered"
    entity_type = "user"
    entity_id_field = "user_id"

    user_id: UUID
    name: str
    workspace_name: str


SPECS = [EventSpec(UserRegistered, "gateway", ("audit",))]
