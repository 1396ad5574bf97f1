"""Events published by the audit service about its own trail."""

from uuid import UUID

from pydantic import Field

from kasa_contracts.envelope import EventPayload
from kasa_contracts.spec import EventSpec


class ChainAnchored(EventPayload):
    """The head of a workspace's audit hash chain, published so it is kept outside audit.

    The message lands in the broker's archive stream; an operator compares it with the stored
    entry at ``seq`` later, so a consistent rewrite of the chain inside audit's database
    (triggers disabled, hashes recomputed) is still detected.
    """

    event_type = "audit.chain.anchored"
    entity_type = "audit_chain"
    entity_id_field = "workspace_id"

    workspace_id: UUID
    seq: int = Field(ge=1, description="Position of the anchored entry in the chain")
    hash: str = Field(min_length=64, max_length=64, description="That entry's hash (sha256, hex)")


SPECS = [EventSpec(ChainAnchored, "audit", ("audit",))]
