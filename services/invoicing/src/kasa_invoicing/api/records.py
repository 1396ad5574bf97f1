"""What every invoicing route shares: workspace-scoped lookups, snapshots and events."""

from datetime import date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession

from kasa_contracts import EventPayload
from kasa_servicekit.auth import Principal
from kasa_servicekit.outbox import add_caller_events
from kasa_servicekit.problems import ProblemError

PRODUCER = "invoicing"


def plain(value: Any) -> Any:
    """A JSON-friendly form of a column value, for the before/after of events."""
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, UUID):
        return str(value)
    return value


def snapshot(row: Any, fields: tuple[str, ...]) -> dict[str, Any]:
    return {name: plain(getattr(row, name)) for name in fields}


async def publish(session: AsyncSession, principal: Principal, *payloads: EventPayload) -> None:
    """Write events for the caller's change into the outbox of the open transaction."""
    await add_caller_events(session, principal, *payloads, producer=PRODUCER)


def conflict(detail: str) -> ProblemError:
    return ProblemError(409, "Conflict", detail)


def unprocessable(detail: str) -> ProblemError:
    return ProblemError(422, "Unprocessable Content", detail)


def values(body: BaseModel, *, only_set: bool = False) -> dict[str, Any]:
    """A request body's fields as Python values (``model_dump`` would turn decimals to text)."""
    names = body.model_fields_set if only_set else type(body).model_fields
    return {name: getattr(body, name) for name in names}
