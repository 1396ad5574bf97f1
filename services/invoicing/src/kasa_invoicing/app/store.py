"""What every use case persists through: the caller's workspace in one open transaction.

Each use-case family names the queries it needs on top (``ClientStore``, ``InvoiceStore``…);
``db/`` implements them on SQLAlchemy, unit tests with rows in memory.
"""

from typing import Any, Protocol, TypeVar
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

M = TypeVar("M")


class Store(Protocol):
    session: AsyncSession
    """The open transaction; events are written into it with the change."""
    workspace_id: UUID

    async def owned(self, model: type[M], record_id: UUID, what: str, *, lock: bool = False) -> M:
        """The workspace's record with this id, or ``NotFound(what)``."""
        ...

    def add(self, row: Any) -> None: ...

    async def delete(self, row: Any) -> None: ...

    async def flush(self) -> None: ...
