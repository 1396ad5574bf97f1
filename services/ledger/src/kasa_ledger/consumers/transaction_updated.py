"""integrations.transaction.updated.v1 → the bank restated a movement it reported before.

Descriptive fields follow the bank. Money does not change in place: a different amount or
direction is booked as an adjustment linked to the original entry. A changed booking date or
currency is not applied (the entry keeps what was booked); the bank's full record is kept in
``raw_data``.
"""

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kasa_contracts import Envelope
from kasa_contracts.changes import diff
from kasa_contracts.events.integrations import TransactionUpdated as BankTransactionUpdated
from kasa_contracts.events.ledger import TransactionUpdated
from kasa_ledger.booking import bank_account_id, book, book_adjustment, imported_row
from kasa_ledger.db.queries import adjustments_of, lock_matching
from kasa_ledger.db.snapshots import BANK_DESCRIBED, snapshot
from kasa_ledger.db.tables import Transaction
from kasa_ledger.domain.corrections import effective_amount, is_voided, restatement_entry
from kasa_ledger.payments import auto_match
from kasa_servicekit.outbox import add_payloads


async def handle(session: AsyncSession, event: Envelope[Any]) -> None:
    updated: BankTransactionUpdated = event.payload
    row = imported_row(event.workspace_id, updated)
    await lock_matching(session, event.workspace_id)
    tx = await session.scalar(
        select(Transaction)
        .where(
            Transaction.workspace_id == event.workspace_id,
            Transaction.source == updated.plugin,
            Transaction.external_id == updated.external_id,
        )
        .with_for_update()
    )
    if tx is None:
        # The update overtook the import (or the import was lost): book it as it is now.
        row["account_id"] = await bank_account_id(
            session, event.workspace_id, updated.account, event.actor
        )
        booked = await book(session, row, event.actor, workspace_id=event.workspace_id)
        if booked is not None:
            await auto_match(session, booked)
        return

    before = snapshot(tx, BANK_DESCRIBED)
    for name in (*BANK_DESCRIBED, "vs_normalized", "raw_data"):
        setattr(tx, name, row[name])
    changes = diff(before, snapshot(tx, BANK_DESCRIBED))
    if changes:
        payload = TransactionUpdated(transaction_id=tx.id, changes=changes)
        await add_payloads(
            session, payload, producer="ledger", workspace_id=tx.workspace_id, actor=event.actor
        )
    adjustments = (await adjustments_of(session, [tx.id]))[tx.id]
    if not is_voided(adjustments) and updated.currency == tx.currency:
        current = effective_amount(tx.type, tx.amount, adjustments)
        entry = restatement_entry(tx.type, current, updated.direction, updated.amount)
        if entry is not None:
            await book_adjustment(
                session,
                tx,
                entry,
                kind="correction",
                reason="restated by the bank",
                source=updated.plugin,
                actor=event.actor,
            )
    await auto_match(session, tx)
