"""One transaction's view of the integrations database, as the use cases see it.

A use case gets a ``UnitOfWork`` (the repositories over one session) and writes its events
into the same ``session``, so its change and its events commit together. Unit tests hand the
use cases an in-memory double of the same shape.
"""

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession

from kasa_integrations.db.imports import Imports
from kasa_integrations.db.plugin_configs import PluginConfigs
from kasa_integrations.db.sync_runs import SyncRuns
from kasa_servicekit.db import Database


class UnitOfWork:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self.syncs = SyncRuns(session)
        self.imports = Imports(session)
        self.configs = PluginConfigs(session)

    def after_commit(self, action: Callable[[], Any]) -> None:
        """Run ``action`` once this transaction has committed (never if it rolls back)."""
        event.listen(self.session.sync_session, "after_commit", lambda _: action(), once=True)


Transactions = Callable[[], AbstractAsyncContextManager[UnitOfWork]]
"""Opens a unit of work in its own transaction: committed on success, rolled back on error."""


def transactions(db: Database) -> Transactions:
    @asynccontextmanager
    async def begin() -> AsyncIterator[UnitOfWork]:
        async with db.transaction() as session:
            yield UnitOfWork(session)

    return begin


def sessions(db: Database) -> Transactions:
    """Units of work for reading: no transaction is held open between statements."""

    @asynccontextmanager
    async def open_() -> AsyncIterator[UnitOfWork]:
        async with db.sessions() as session:
            yield UnitOfWork(session)

    return open_
