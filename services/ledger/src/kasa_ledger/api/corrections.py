"""Corrections and voids: booked money changes only through linked entries, never in place."""

from typing import Any
from uuid import UUID

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kasa_contracts.types import PositiveAmount
from kasa_ledger.api.transactions import TransactionOut, present
from kasa_ledger.booking import book_adjustment
from kasa_ledger.db.queries import adjustments_of, lock_matching, transaction_in_workspace
from kasa_ledger.db.tables import PaymentMatch, Transaction
from kasa_ledger.domain.corrections import (
    correction_entry,
    effective_amount,
    is_voided,
    reversal_entry,
)
from kasa_ledger.payments import unmatch
from kasa_servicekit import idempotency
from kasa_servicekit.auth import Principal, WritingPrincipal
from kasa_servicekit.idempotency import IdempotencyKey
from kasa_servicekit.problems import ProblemError, not_found
from kasa_servicekit.service import Db

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


def _conflict(detail: str) -> ProblemError:
    return ProblemError(409, "Conflict", detail)


async def _original(session: AsyncSession, principal: Principal, transaction_id: UUID) -> Any:
    await lock_matching(session, principal.workspace_id)
    tx = await transaction_in_workspace(
        session, principal.workspace_id, transaction_id, for_update=True
    )
    if tx is None:
        raise not_found("transaction")
    if tx.kind != "entry":
        raise _conflict("an adjustment is corrected through the entry it belongs to")
    adjustments = (await adjustments_of(session, [tx.id]))[tx.id]
    if is_voided(adjustments):
        raise _conflict("the transaction is voided")
    return tx, effective_amount(tx.type, tx.amount, adjustments)


async def _respond(
    session: AsyncSession, original: Transaction, adjustment: Transaction
) -> dict[str, Any]:
    await session.refresh(original)
    tx_out, adj_out = await present(session, [original, adjustment])
    return AdjustedOut(transaction=tx_out, adjustment=adj_out).model_dump(mode="json")


@router.post("/{transaction_id}/corrections", status_code=201, response_model=AdjustedOut)
async def correct(
    transaction_id: UUID,
    body: CorrectionIn,
    principal: WritingPrincipal,
    db: Db,
    idempotency_key: IdempotencyKey = None,
) -> Any:
    scope = f"POST /api/v1/transactions/{transaction_id}/corrections"
    body_hash = idempotency.request_hash(body.model_dump(mode="json"))
    async with db.transaction() as session:
        stored = await idempotency.replay(
            session, principal.workspace_id, scope, idempotency_key, body_hash
        )
        if stored is not None:
            return JSONResponse(stored.body, status_code=stored.status_code)
        tx, current = await _original(session, principal, transaction_id)
        matched = sum(
            await session.scalars(
                select(PaymentMatch.amount).where(
                    PaymentMatch.transaction_id == tx.id, PaymentMatch.unmatched_at.is_(None)
                )
            )
        )
        if body.amount < matched:
            raise _conflict(
                f"{matched} of this transaction pays invoices; unmatch before lowering it"
            )
        try:
            entry = correction_entry(tx.type, current, body.amount)
        except ValueError as exc:
            raise ProblemError(422, "Unprocessable Content", str(exc)) from exc
        adjustment = await book_adjustment(
            session,
            tx,
            entry,
            kind="correction",
            reason=body.reason,
            source="manual",
            actor=principal.actor,
        )
        out = await _respond(session, tx, adjustment)
        await idempotency.remember(
            session, principal.workspace_id, scope, idempotency_key, body_hash, 201, out
        )
    return JSONResponse(out, status_code=201)


@router.post("/{transaction_id}/void", status_code=201, response_model=AdjustedOut)
async def void(
    transaction_id: UUID,
    body: VoidIn,
    principal: WritingPrincipal,
    db: Db,
    idempotency_key: IdempotencyKey = None,
) -> Any:
    """Book a reversing entry; invoice payments made by the transaction are undone first."""
    scope = f"POST /api/v1/transactions/{transaction_id}/void"
    body_hash = idempotency.request_hash(body.model_dump(mode="json"))
    async with db.transaction() as session:
        stored = await idempotency.replay(
            session, principal.workspace_id, scope, idempotency_key, body_hash
        )
        if stored is not None:
            return JSONResponse(stored.body, status_code=stored.status_code)
        tx, current = await _original(session, principal, transaction_id)
        for match in await session.scalars(
            select(PaymentMatch).where(
                PaymentMatch.transaction_id == tx.id, PaymentMatch.unmatched_at.is_(None)
            )
        ):
            await unmatch(session, match, principal.actor)
        adjustment = await book_adjustment(
            session,
            tx,
            reversal_entry(tx.type, current),
            kind="void",
            reason=body.reason,
            source="manual",
            actor=principal.actor,
        )
        out = await _respond(session, tx, adjustment)
        await idempotency.remember(
            session, principal.workspace_id, scope, idempotency_key, body_hash, 201, out
        )
    return JSONResponse(out, status_code=201)
