"""What every invoicing route shares: workspace-scoped lookups, snapshots and events."""

from datetime import date, datetime
from decimal import Decimal
from typing import Any, TypeVar
from uuid import UUID

from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kasa_contracts import EventPayload
from kasa_servicekit.auth import Principal
from kasa_servicekit.outbox import add_events, make_envelope
from kasa_servicekit.problems import ProblemError, not_found

M = TypeVar("M")

PRODUCER = "invoicing"


async def owned(
    session: AsyncSession,
    model: type[M],
    record_id: UUID,
    workspace_id: UUID,
    what: str,
    *,
    lock: bool = False,
) -> M:
    """The record with this id in the caller's workspace; 404 otherwise (also for others').

    ``lock`` holds the row until commit (PostgreSQL; SQLite has one writer anyway), so a
    concurrent change such as invoicing an entry cannot slip between the check and the write.
    """
    stmt = select(model).where(
        model.id == record_id,  # type: ignore[attr-defined]
        model.workspace_id == workspace_id,  # type: ignore[attr-defined]
    )
    row = await session.scalar(stmt.with_for_update() if lock else stmt)
    if row is None:
        raise not_found(what)
    return row


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
    await add_events(
        session,
        [
            make_envelope(
                payload,
                producer=PRODUCER,
                workspace_id=principal.workspace_id,
                actor=principal.actor,
            )
            for payload in payloads
        ],
    )


def conflict(detail: str) -> ProblemError:
    return ProblemError(409, "Conflict", detail)


def unprocessable(detail: str) -> ProblemError:
    return ProblemError(422, "Unprocessable Content", detail)


def values(body: BaseModel, *, only_set: bool = False) -> dict[str, Any]:
    """A request body's fields as Python values (``model_dump`` would turn decimals to text)."""
    names = body.model_fields_set if only_set else type(body).model_fields
    return {name: getattr(body, name) for name in names}
