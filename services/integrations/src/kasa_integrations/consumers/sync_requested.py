"""``SyncRequested``: a worker claims the requested run and runs it after the claim commits.

The claim is made in the consumer's inbox transaction, so a redelivered request finds the
claim and does nothing; the run itself happens in a task of the worker, not in the
transaction. A request whose run another worker holds, or that was cancelled, is a no-op.
"""

from sqlalchemy.ext.asyncio import AsyncSession

from kasa_contracts import Envelope
from kasa_contracts.events.integrations import SyncRequested
from kasa_integrations.app.sync_run import SyncWorker
from kasa_integrations.db.unit_of_work import UnitOfWork
from kasa_servicekit.consumers import Handler
from kasa_servicekit.events import EventWriter


def handler(worker: SyncWorker) -> Handler:
    """The handler of ``integrations.sync_runs`` for this process's worker."""

    async def handle(
        session: AsyncSession, event: Envelope[SyncRequested], events: EventWriter
    ) -> None:
        await worker.claim_and_start(UnitOfWork(session), event.payload.sync_id, events)

    return handle
