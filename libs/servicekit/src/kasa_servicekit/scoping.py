"""Workspace scoping of lookups: another workspace's id is indistinguishable from none."""

from typing import TypeVar
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kasa_servicekit.problems import not_found

M = TypeVar("M")


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
