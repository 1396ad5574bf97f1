"""A batch of bank events: runs of imports booked set-based, anything else one by one.

The batching consumer hands over the bank messages already delivered, in order. Runs of
``TransactionImported`` go to ``app.booking.book_imports``, which books them by the same rules
as one by one, with one statement per step for the whole run. Any other event goes through its
own handler. If anything fails the transaction rolls back and the consumer applies the
messages one by one, which retries and parks only the bad one.
"""

from collections.abc import Sequence
from itertools import groupby
from typing import Any
from uuid import UUID

from opentelemetry.context import Context
from sqlalchemy.ext.asyncio import AsyncSession

from kasa_contracts import Envelope
from kasa_contracts.events.integrations import TransactionImported
from kasa_ledger.app import booking
from kasa_servicekit.consumers import Subscription, apply_each
from kasa_servicekit.events import EventWriter


async def handle_batch(
    session: AsyncSession,
    bank: Subscription,
    delivered: Sequence[tuple[Envelope[Any], Context]],
    events: EventWriter,
) -> set[UUID]:
    """Apply a batch of the bank queue in the caller's transaction; the ids applied now."""
    applied: set[UUID] = set()
    # Runs keep the delivery order: an update still follows the import it restates.
    # (A bank's restatement is a subclass of the import: the exact type tells them apart.)
    for imports, run in groupby(
        delivered, key=lambda event: type(event[0].payload) is TransactionImported
    ):
        if imports:
            applied |= await booking.book_imports(session, bank.queue, list(run), events)
        else:
            applied |= await apply_each(session, bank, list(run), events)
    return applied
