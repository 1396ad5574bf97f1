"""The caller's workspace in one open session: what every store of the service starts from."""

from typing import Any, TypeVar
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kasa_invoicing.domain.errors import NotFound

M = TypeVar("M")


class SqlStore:
    """Rows of one workspace, read and written in the caller's transaction."""

    def __init__(self, session: AsyncSession, workspace_id: UUID) -> None:
        self.session = session
        self.workspace_id = workspace_id

    async def owned(self, model: type[M], record_id: UUID, what: str, *, lock: bool = False) -> M:
        """The record with this id in the workspace; ``NotFound`` otherwise (also for others').

        ``lock`` holds the row until commit (PostgreSQL; SQLite has one writer anyway), so a
        concurrent change such as invoicing an entry cannot slip between a check and a write.
        """
        stmt = select(model).where(
            model.id == record_id,  # type: ignore[attr-defined]
            model.workspace_id == self.workspace_id,  # type: ignore[attr-defined]
        )
        row = await self.session.scalar(stmt.with_for_update() if lock else stmt)
        if row is None:
            raise NotFound(what)
        return row

    def add(self, row: Any) -> None:
        self.session.add(row)

    async def delete(self, row: Any) -> None:
        await self.session.delete(row)

    async def flush(self) -> None:
        await self.session.flush()
