"""The envelope every Kasa event travels in."""

from datetime import datetime
from typing import Any, ClassVar, Generic, Literal, TypeVar
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field


class EventPayload(BaseModel):
    """Base of every event payload.

    Subclasses name the event once: ``event_type`` (``<service>.<entity>.<verb>``) and the
    major ``event_version``. Within a major version a payload may only gain optional fields.
    """

    model_config = ConfigDict(extra="ignore", frozen=True)

    event_type: ClassVar[str]
    event_version: ClassVar[int] = 1
    entity_type: ClassVar[str]
    """Which kind of record the event is about (audit groups its trail by it)."""
    entity_id_field: ClassVar[str]
    """The payload field that holds that record's id."""

    @classmethod
    def routing_key(cls) -> str:
        return f"{cls.event_type}.v{cls.event_version}"

    @classmethod
    def action(cls) -> str:
        """The past-tense verb of the event type: ``imported``, ``registered``…"""
        return cls.event_type.rsplit(".", 1)[-1]


class Actor(BaseModel):
    """Who caused a change: a user, a plugin acting for the workspace, or the system."""

    model_config = ConfigDict(frozen=True)

    type: Literal["user", "plugin", "system"]
    id: str
    name: str | None = None


P = TypeVar("P", bound=BaseModel)


class Envelope(BaseModel, Generic[P]):
    """One event as published: metadata for routing, tracing and audit around a payload."""

    model_config = ConfigDict(frozen=True)

    event_id: UUID
    event_type: str = Field(examples=["integrations.transaction.imported"])
    event_version: int = Field(ge=1)
    occurred_at: datetime
    producer: str = Field(examples=["integrations"])
    workspace_id: UUID
    actor: Actor
    correlation_id: str | None = Field(
        default=None, description="The user request or sync run that started the chain"
    )
    causation_id: UUID | None = Field(default=None, description="The event that caused this one")
    payload: P

    @property
    def routing_key(self) -> str:
        return f"{self.event_type}.v{self.event_version}"


class RawEnvelope(Envelope[Any]):
    """An envelope whose payload is kept as published, for consumers of every event (audit)."""

    payload: dict[str, Any]
