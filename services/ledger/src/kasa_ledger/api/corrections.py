"""Corrections and voids: booked money changes only through linked entries, never in place."""

from typing import Any
from uuid import UUID

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.ext.asyncio import AsyncSession

from kasa_contracts.types import PositiveAmount
from kasa_ledger.api.transaction_view import TransactionOut, transaction_out
from kasa_ledger.app import corrections, transactions
from kasa_ledger.db.tables import Transaction
from kasa_servicekit.auth import AdminPrincipal
from kasa_servicekit.idempotency import IdempotencyKey, Once
from kasa_servicekit.service import Db, Events

router = APIRouter(prefix="/api/v1/transactions", tags=["transactions"])


class CorrectionIn(BaseModel):
    """The amount the transaction should have had; the difference is booked as an adjustment."""

    model_config = ConfigDict(extra="forbid")

    amount: PositiveAmount
    reason: str = Field(min_length=1, max_length=500)


class VoidIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str = Field(min_length=1, max_length=500)


class AdjustedOut(BaseModel):
    transaction: TransactionOut
    """The original entry, with its new effective amount."""
    adjustment: TransactionOut
    """The linked entry that was booked."""


async def _adjusted(
    session: AsyncSession, original: Transaction, adjustment: Transaction
) -> dict[str, Any]:
    tx_out, adj_out = await transactions.entries(session, [original, adjustment])
    return AdjustedOut(
        transaction=transaction_out(tx_out), adjustment=transaction_out(adj_out)
    ).model_dump(mode="json")


@router.post("/{transaction_id}/corrections", status_code=201, response_model=AdjustedOut)
async def correct(
    transaction_id: UUID,
    body: CorrectionIn,
    principal: AdminPrincipal,
    db: Db,
    events: Events,
    idempotency_key: IdempotencyKey = None,
) -> Any:
    scope = f"POST /api/v1/transactions/{transaction_id}/corrections"
    once = Once.of(principal.workspace_id, scope, idempotency_key, body.model_dump(mode="json"))
    async with db.transaction() as session:
        if (replayed := await once.replayed(session)) is not None:
            return replayed
        original, adjustment = await corrections.correct(
            session, principal, transaction_id, body.amount, body.reason, events
        )
        return await once.remember(session, await _adjusted(session, original, adjustment))


@router.post("/{transaction_id}/void", status_code=201, response_model=AdjustedOut)
async def void(
    transaction_id: UUID,
    body: VoidIn,
    principal: AdminPrincipal,
    db: Db,
    events: Events,
    idempotency_key: IdempotencyKey = None,
) -> Any:
    """Book a reversing entry; invoice payments made by the transaction are undone first."""
    scope = f"POST /api/v1/transactions/{transaction_id}/void"
    once = Once.of(principal.workspace_id, scope, idempotency_key, body.model_dump(mode="json"))
    async with db.transaction() as session:
        if (replayed := await once.replayed(session)) is not None:
            return replayed
        original, adjustment = await corrections.void(
            session, principal, transaction_id, body.reason, events
        )
        return await once.remember(session, await _adjusted(session, original, adjustment))
