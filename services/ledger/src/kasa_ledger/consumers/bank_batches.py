"""A batch of bank events booked with set-based statements, as one by one would book it.

The batching consumer hands over the bank messages already delivered, in order. Runs of
``TransactionImported`` are booked together: one inbox claim for the run, one lookup per
distinct bank account, category rules applied in memory, one multi-row insert of the entries
(``ON CONFLICT DO NOTHING`` on the natural key, so a movement is still booked once), one
multi-row insert of their ``recorded`` events, and invoice matching only for incomes that were
booked now, in their order, where the workspace has an invoice in their currency. Any other
event goes through its own handler. If anything fails the transaction rolls back and the
consumer applies the messages one by one, which retries and parks only the bad one.
"""

from collections.abc import Mapping, Sequence
from itertools import groupby
from typing import Any
from uuid import UUID

from opentelemetry.context import Context
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from kasa_contracts import Envelope, EventPayload
from kasa_contracts.events.integrations import TransactionImported
from kasa_ledger.booking import (
    NATURAL_KEY,
    bank_account_id,
    bank_ref,
    entry_values,
    imported_row,
    transaction_recorded,
)
from kasa_ledger.consumers import dispatch
from kasa_ledger.db.tables import Transaction
from kasa_ledger.payments import auto_match, invoiced_currencies, matchable
from kasa_servicekit import inbox
from kasa_servicekit.consumers import BatchHandler, Handler, apply_each, handling
from kasa_servicekit.outbox import add_traced_events

Delivered = tuple[Envelope[Any], Context]


def batch_handler(handlers: Mapping[type[EventPayload], Handler]) -> BatchHandler:
    """The bank queue's batch handler; events other than imports go to their ``handlers``."""
    one_by_one = dispatch(handlers)

    async def handle_batch(
        session: AsyncSession, consumer: str, events: Sequence[Delivered]
    ) -> set[UUID]:
        applied: set[UUID] = set()
        # Runs keep the delivery order: an update still follows the import it restates.
        # (A bank's restatement is a subclass of the import: the exact type tells them apart.)
        for imports, run in groupby(
            events, key=lambda event: type(event[0].payload) is TransactionImported
        ):
            if imports:
                applied |= await book_imports(session, consumer, list(run))
                continue
            applied |= await apply_each(session, consumer, one_by_one, list(run))
        return applied

    return handle_batch


async def book_imports(
    session: AsyncSession, consumer: str, events: Sequence[Delivered]
) -> set[UUID]:
    """Claim and book a run of ``TransactionImported``; the ids of the events applied now."""
    first_of: dict[UUID, Delivered] = {}
    for envelope, trace_context in events:
        first_of.setdefault(envelope.event_id, (envelope, trace_context))
    claimed = await inbox.claim_many(session, consumer, first_of)
    todo = [delivered for event_id, delivered in first_of.items() if event_id in claimed]

    accounts: dict[tuple[UUID, str, str], UUID] = {}
    entries: dict[tuple[UUID, str, str | None], tuple[dict[str, Any], Delivered]] = {}
    for envelope, trace_context in todo:
        imported: TransactionImported = envelope.payload
        account = (envelope.workspace_id, bank_ref(imported.account), imported.account.currency)
        if account not in accounts:
            # A new account's ``account.created`` follows the first event that named it.
            with handling(envelope, trace_context):
                accounts[account] = await bank_account_id(
                    session, envelope.workspace_id, imported.account, envelope.actor
                )
        row = imported_row(envelope.workspace_id, imported)
        row["account_id"] = accounts[account]
        values = await entry_values(session, row, workspace_id=envelope.workspace_id)
        # Uncategorized rows name the columns too: one multi-row insert needs the same keys.
        values.setdefault("category", None)
        values.setdefault("category_set_by", None)
        key = (values["workspace_id"], values["source"], values["external_id"])
        # The same movement twice in a run is booked once, from its first event, as one by
        # one would book it; the later event is still applied (and acked) as a no-op.
        entries.setdefault(key, (values, (envelope, trace_context)))
    if not entries:
        return claimed

    table = Transaction.__table__
    dialect_insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    stmt = (
        dialect_insert(table)
        .values([values for values, _ in entries.values()])
        .on_conflict_do_nothing(index_elements=NATURAL_KEY)
        .returning(table.c.id)
    )
    inserted = set((await session.execute(stmt)).scalars())
    booked = [
        (values, delivered) for values, delivered in entries.values() if values["id"] in inserted
    ]

    await add_traced_events(
        session,
        [
            (
                transaction_recorded(
                    values,
                    envelope.actor,
                    correlation_id=envelope.correlation_id,
                    causation_id=envelope.event_id,
                ),
                trace_context,
            )
            for values, (envelope, trace_context) in booked
        ],
    )

    # Rows as written, not added to the session, so nothing is flushed twice.
    incomes = [(values, delivered) for values, delivered in booked if values["type"] == "income"]
    payments = [(Transaction(**values), delivered) for values, delivered in incomes]
    payments = [(tx, delivered) for tx, delivered in payments if matchable(tx)]
    invoiced = await invoiced_currencies(session, [tx for tx, _ in payments])
    for tx, (envelope, trace_context) in payments:
        if (tx.workspace_id, tx.currency) in invoiced:
            with handling(envelope, trace_context):
                await auto_match(session, tx)
    return claimed
