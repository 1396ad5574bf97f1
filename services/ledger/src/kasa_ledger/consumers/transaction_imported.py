"""integrations.transaction.imported.v1 → a booked ledger transaction."""

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from kasa_contracts import Envelope
from kasa_contracts.events.integrations import TransactionImported
from kasa_contracts.events.ledger import TransactionRecorded
from kasa_ledger.db.tables import Transaction
from kasa_servicekit.db import insert_if_absent, utcnow
from kasa_servicekit.ids import new_id
from kasa_servicekit.outbox import add_events, make_envelope


async def handle(session: AsyncSession, event: Envelope[Any]) -> None:
    imported: TransactionImported = event.payload
    row = {
        "id": new_id(),
        "workspace_id": event.workspace_id,
        "source": imported.plugin,
        "external_id": imported.external_id,
        "type": imported.direction,
        "amount": imported.amount,
        "currency": imported.currency,
        "transacted_on": imported.booking_date,
        "value_date": imported.value_date,
        "description": imported.message,
        "counterparty": imported.counterparty_name,
        "counterparty_account": imported.counterparty_account,
        "reference": imported.reference,
        "variable_symbol": imported.variable_symbol,
        "constant_symbol": imported.constant_symbol,
        "specific_symbol": imported.specific_symbol,
        "account_ref": imported.account.iban or imported.account.account_number,
        "raw_data": imported.raw,
        "created_at": utcnow(),
    }
    unique = ["workspace_id", "source", "external_id"]
    if not await insert_if_absent(session, Transaction.__table__, row, unique):
        return
    recorded = TransactionRecorded(
        transaction_id=row["id"],
        source=imported.plugin,
        external_id=imported.external_id,
        type=imported.direction,
        amount=imported.amount,
        currency=imported.currency,
        transacted_on=imported.booking_date,
    )
    envelope = make_envelope(
        recorded, producer="ledger", workspace_id=event.workspace_id, actor=event.actor
    )
    await add_events(session, [envelope])
