"""Payments applied to invoices: manual matches, undoing them, and suggestions to decide."""

from datetime import date, datetime
from typing import Annotated, Literal
from uuid import UUID

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel, ConfigDict, Field, model_validator
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kasa_contracts.events.ledger import MatchSuggestionRejected
from kasa_contracts.types import DecimalString, PositiveAmount
from kasa_ledger.db.queries import (
    invoice_in_workspace,
    lock_matching,
    open_amount,
    transaction_in_workspace,
)
from kasa_ledger.db.tables import Invoice, MatchSuggestion, PaymentMatch, Transaction
from kasa_ledger.payments import MatchReason, match_by_hand, unmatch
from kasa_servicekit.auth import CurrentPrincipal, Principal, WritingPrincipal
from kasa_servicekit.db import utcnow
from kasa_servicekit.money import at_currency_precision
from kasa_servicekit.outbox import add_caller_events
from kasa_servicekit.pagination import Cursor, Limit, Page, keyset_page
from kasa_servicekit.problems import ProblemError, not_found
from kasa_servicekit.service import Db

router = APIRouter(tags=["matches"])


class PaymentMatchOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: UUID
    transaction_id: UUID
    invoice_id: UUID
    amount: DecimalString
    currency: str
    reason: str
    paid_on: date
    created_at: datetime
    unmatched_at: datetime | None

    @model_validator(mode="after")
    def _readable_amount(self) -> "PaymentMatchOut":
        self.amount = at_currency_precision(self.amount, self.currency)
        return self


class MatchIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    invoice_id: UUID
    amount: PositiveAmount | None = Field(
        default=None, description="Part of the transaction to apply; all that is left if omitted"
    )


async def _manual_match(
    session: AsyncSession,
    principal: Principal,
    tx: Transaction,
    invoice_id: UUID,
    amount: PositiveAmount | None,
    reason: MatchReason,
) -> PaymentMatch:
    invoice = await invoice_in_workspace(session, principal.workspace_id, invoice_id)
    if invoice is None or invoice.issued_at is None:
        raise not_found("invoice")
    if invoice.cancelled_at is not None:
        raise ProblemError(409, "Conflict", "the invoice is cancelled")
    try:
        return await match_by_hand(session, tx, invoice, amount, reason, principal.actor)
    except ValueError as exc:
        raise ProblemError(409, "Conflict", str(exc)) from exc


@router.post(
    "/api/v1/transactions/{transaction_id}/match", status_code=201, response_model=PaymentMatchOut
)
async def match(
    transaction_id: UUID, body: MatchIn, principal: WritingPrincipal, db: Db
) -> PaymentMatchOut:
    """Apply a transaction (or part of it) to an invoice by hand."""
    async with db.transaction() as session:
        await lock_matching(session, principal.workspace_id)
        tx = await transaction_in_workspace(
            session, principal.workspace_id, transaction_id, for_update=True
        )
        if tx is None:
            raise not_found("transaction")
        made = await _manual_match(session, principal, tx, body.invoice_id, body.amount, "manual")
        return PaymentMatchOut.model_validate(made)


@router.delete("/api/v1/transactions/{transaction_id}/match", status_code=204)
async def unmatch_transaction(
    transaction_id: UUID,
    principal: WritingPrincipal,
    db: Db,
    invoice_id: Annotated[UUID | None, Query(description="Only this invoice's match")] = None,
) -> Response:
    """Take the transaction's payments off their invoices (or off one invoice)."""
    async with db.transaction() as session:
        tx = await transaction_in_workspace(session, principal.workspace_id, transaction_id)
        if tx is None:
            raise not_found("transaction")
        stmt = select(PaymentMatch).where(
            PaymentMatch.transaction_id == tx.id, PaymentMatch.unmatched_at.is_(None)
        )
        if invoice_id is not None:
            stmt = stmt.where(PaymentMatch.invoice_id == invoice_id)
        found = list(await session.scalars(stmt))
        if not found:
            raise not_found("match")
        for payment in found:
            await unmatch(session, payment, principal.actor)
    return Response(status_code=204)


@router.get("/api/v1/matches", response_model=Page[PaymentMatchOut])
async def list_matches(
    principal: CurrentPrincipal,
    db: Db,
    limit: Limit = 50,
    cursor: Cursor = None,
    invoice_id: UUID | None = None,
    transaction_id: UUID | None = None,
    include_undone: bool = False,
) -> Page[PaymentMatchOut]:
    stmt = select(PaymentMatch).where(PaymentMatch.workspace_id == principal.workspace_id)
    if invoice_id:
        stmt = stmt.where(PaymentMatch.invoice_id == invoice_id)
    if transaction_id:
        stmt = stmt.where(PaymentMatch.transaction_id == transaction_id)
    if not include_undone:
        stmt = stmt.where(PaymentMatch.unmatched_at.is_(None))
    async with db.sessions() as session:
        rows, next_cursor = await keyset_page(
            session, stmt, [PaymentMatch.id], limit=limit, cursor=cursor
        )
    return Page(items=[PaymentMatchOut.model_validate(r) for r in rows], next_cursor=next_cursor)


class SuggestionOut(BaseModel):
    id: UUID
    transaction_id: UUID
    invoice_id: UUID
    invoice_number: str
    client_name: str | None
    reason: str
    status: Literal["pending", "accepted", "rejected"]
    amount: DecimalString = Field(description="What accepting would apply")
    currency: str
    transacted_on: date
    counterparty: str | None
    created_at: datetime


async def _suggestion_out(
    session: AsyncSession, suggestion: MatchSuggestion, invoice: Invoice, tx: Transaction
) -> SuggestionOut:
    return SuggestionOut(
        id=suggestion.id,
        transaction_id=tx.id,
        invoice_id=invoice.id,
        invoice_number=invoice.number,
        client_name=invoice.client_name,
        reason=suggestion.reason,
        status=suggestion.status,
        amount=at_currency_precision(max(await open_amount(session, tx), 0), tx.currency),
        currency=tx.currency,
        transacted_on=tx.transacted_on,
        counterparty=tx.counterparty,
        created_at=suggestion.created_at,
    )


@router.get("/api/v1/matches/suggestions", response_model=Page[SuggestionOut])
async def list_suggestions(
    principal: CurrentPrincipal,
    db: Db,
    limit: Limit = 50,
    cursor: Cursor = None,
    transaction_id: UUID | None = None,
    invoice_id: UUID | None = None,
) -> Page[SuggestionOut]:
    """Pending suggestions for invoices that still expect money."""
    stmt = (
        select(MatchSuggestion)
        .join(Invoice, Invoice.id == MatchSuggestion.invoice_id)
        .where(
            MatchSuggestion.workspace_id == principal.workspace_id,
            MatchSuggestion.status == "pending",
            Invoice.cancelled_at.is_(None),
        )
    )
    if transaction_id:
        stmt = stmt.where(MatchSuggestion.transaction_id == transaction_id)
    if invoice_id:
        stmt = stmt.where(MatchSuggestion.invoice_id == invoice_id)
    async with db.sessions() as session:
        rows, next_cursor = await keyset_page(
            session, stmt, [MatchSuggestion.id], limit=limit, cursor=cursor
        )
        items = []
        for suggestion in rows:
            invoice = await session.get_one(Invoice, suggestion.invoice_id)
            tx = await session.get_one(Transaction, suggestion.transaction_id)
            items.append(await _suggestion_out(session, suggestion, invoice, tx))
    return Page(items=items, next_cursor=next_cursor)


async def _pending(
    session: AsyncSession, principal: Principal, suggestion_id: UUID
) -> MatchSuggestion:
    suggestion = await session.scalar(
        select(MatchSuggestion)
        .where(
            MatchSuggestion.id == suggestion_id,
            MatchSuggestion.workspace_id == principal.workspace_id,
        )
        .with_for_update()
    )
    if suggestion is None:
        raise not_found("suggestion")
    if suggestion.status != "pending":
        raise ProblemError(409, "Conflict", f"the suggestion is already {suggestion.status}")
    return suggestion


@router.post(
    "/api/v1/matches/suggestions/{suggestion_id}/accept",
    status_code=201,
    response_model=PaymentMatchOut,
)
async def accept_suggestion(
    suggestion_id: UUID, principal: WritingPrincipal, db: Db
) -> PaymentMatchOut:
    """Apply what is left of the transaction to the suggested invoice."""
    async with db.transaction() as session:
        await lock_matching(session, principal.workspace_id)
        suggestion = await _pending(session, principal, suggestion_id)
        tx = await transaction_in_workspace(
            session, principal.workspace_id, suggestion.transaction_id, for_update=True
        )
        assert tx is not None
        made = await _manual_match(
            session, principal, tx, suggestion.invoice_id, None, "suggestion_accepted"
        )
        return PaymentMatchOut.model_validate(made)


@router.post("/api/v1/matches/suggestions/{suggestion_id}/reject", response_model=SuggestionOut)
async def reject_suggestion(
    suggestion_id: UUID, principal: WritingPrincipal, db: Db
) -> SuggestionOut:
    """This transaction does not pay that invoice: the pair is never suggested again."""
    async with db.transaction() as session:
        suggestion = await _pending(session, principal, suggestion_id)
        suggestion.status = "rejected"
        suggestion.decided_at = utcnow()
        event = MatchSuggestionRejected(
            suggestion_id=suggestion.id,
            invoice_id=suggestion.invoice_id,
            transaction_id=suggestion.transaction_id,
            reason=suggestion.reason,
        )
        await add_caller_events(session, principal, event, producer="ledger")
        invoice = await session.get_one(Invoice, suggestion.invoice_id)
        tx = await session.get_one(Transaction, suggestion.transaction_id)
        return await _suggestion_out(session, suggestion, invoice, tx)
