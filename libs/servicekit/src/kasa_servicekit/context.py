"""Per-request and per-message context: the correlation chain and the acting identity."""

from contextvars import ContextVar
from uuid import UUID

correlation_id_var: ContextVar[str | None] = ContextVar("correlation_id", default=None)
"""The user request or sync run that started the current chain of work."""

causation_id_var: ContextVar[UUID | None] = ContextVar("causation_id", default=None)
"""The event being handled, when the current work is a consumer's."""
