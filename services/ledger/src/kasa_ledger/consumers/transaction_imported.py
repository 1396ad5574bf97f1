"""integrations.transaction.imported.v1 → a booked ledger transaction, matched to its invoice."""

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from kasa_contracts import Envelope
from kasa_contracts.events.integrations import TransactionImported
from kasa_ledger.booking import bank_account_id, book, imported_row
from kasa_ledger.payments import auto_match


async def handle(session: AsyncSession, event: Envelope[Any]) -> None:
    imported: TransactionImported = event.payload
    row = imported_row(event.workspace_id, imported)
    row["account_id"] = await bank_account_id(
        session, event.workspace_id, imported.account, event.actor
    )
    tx = await book(session, row, event.actor, workspace_id=event.workspace_id)
    if tx is not None:
        await auto_match(session, tx)
