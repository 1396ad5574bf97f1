"""Payments applied to invoices: manual matches, undoing them, and suggestions to decide."""

from datetime import date, datetime
from typing import Annotated, Literal
from uuid import UUID

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel, ConfigDict, Field, model_validator

from kasa_contracts.types import CurrencyCode, DecimalString, PositiveAmount
from kasa_ledger.app import matching
from kasa_ledger.db.tables import Invoice, MatchSuggestion, PaymentMatch
from kasa_servicekit.auth import CurrentPrincipal, MemberPrincipal
from kasa_servicekit.money import at_currency_precision
from kasa_servicekit.pagination import Cursor, Limit, Page, keyset_page
from kasa_servicekit.service import Db, Events

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


@router.post(
    "/api/v1/transactions/{transaction_id}/match", status_code=201, response_model=PaymentMatchOut
)
async def match(
    transaction_id: UUID, body: MatchIn, principal: MemberPrincipal, db: Db, events: Events
) -> PaymentMatchOut:
    """Apply a transaction (or part of it) to an invoice by hand."""
    async with db.transaction() as session:
        made = await matching.match(
            session, principal, transaction_id, body.invoice_id, body.amount, events
        )
        return PaymentMatchOut.model_validate(made)


@router.delete("/api/v1/transactions/{transaction_id}/match", status_code=204)
async def unmatch_transaction(
    transaction_id: UUID,
    principal: MemberPrincipal,
    db: Db,
    events: Events,
    invoice_id: Annotated[UUID | None, Query(description="Only this invoice's match")] = None,
) -> Response:
    """Take the transaction's payments off their invoices (or off one invoice)."""
    async with db.transaction() as session:
        await matching.unmatch_transaction(session, principal, transaction_id, invoice_id, events)
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
    stmt = matching.matches(principal.workspace_id, invoice_id, transaction_id, include_undone)
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
    transaction_amount: DecimalString = Field(description="The transaction's amount as booked")
    description: str | None = Field(description="The payment's message")
    reference: str | None
    variable_symbol: str | None = Field(description="The payment's variable symbol")
    counterparty_account: str | None
    invoice_total: DecimalString
    invoice_outstanding: DecimalString = Field(description="What the invoice still expects")
    invoice_variable_symbol: str | None
    invoice_due_date: date | None


def _suggestion_out(found: matching.Suggestion) -> SuggestionOut:
    suggestion, invoice, tx = found.row, found.invoice, found.tx
    return SuggestionOut(
        id=suggestion.id,
        transaction_id=tx.id,
        invoice_id=invoice.id,
        invoice_number=invoice.number,
        client_name=invoice.client_name,
        reason=suggestion.reason,
        status=suggestion.status,
        amount=at_currency_precision(found.open_amount, tx.currency),
        currency=tx.currency,
        transacted_on=tx.transacted_on,
        counterparty=tx.counterparty,
        created_at=suggestion.created_at,
        transaction_amount=at_currency_precision(tx.amount, tx.currency),
        description=tx.description,
        reference=tx.reference,
        variable_symbol=tx.variable_symbol,
        counterparty_account=tx.counterparty_account,
        invoice_total=at_currency_precision(invoice.total or 0, tx.currency),
        invoice_outstanding=at_currency_precision(found.invoice_outstanding, tx.currency),
        invoice_variable_symbol=invoice.variable_symbol,
        invoice_due_date=invoice.due_date,
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
    stmt = matching.pending_suggestions(principal.workspace_id, transaction_id, invoice_id)
    async with db.sessions() as session:
        rows, next_cursor = await keyset_page(
            session, stmt, [MatchSuggestion.id], limit=limit, cursor=cursor
        )
        items = [_suggestion_out(await matching.suggestion_view(session, s)) for s in rows]
    return Page(items=items, next_cursor=next_cursor)


@router.post(
    "/api/v1/matches/suggestions/{suggestion_id}/accept",
    status_code=201,
    response_model=PaymentMatchOut,
)
async def accept_suggestion(
    suggestion_id: UUID, principal: MemberPrincipal, db: Db, events: Events
) -> PaymentMatchOut:
    """Apply what is left of the transaction to the suggested invoice."""
    async with db.transaction() as session:
        made = await matching.accept_suggestion(session, principal, suggestion_id, events)
        return PaymentMatchOut.model_validate(made)


@router.post("/api/v1/matches/suggestions/{suggestion_id}/reject", response_model=SuggestionOut)
async def reject_suggestion(
    suggestion_id: UUID, principal: MemberPrincipal, db: Db, events: Events
) -> SuggestionOut:
    """This transaction does not pay that invoice: the pair is never suggested again."""
    async with db.transaction() as session:
        rejected = await matching.reject_suggestion(session, principal, suggestion_id, events)
        return _suggestion_out(rejected)


class OpenInvoiceOut(BaseModel):
    """An issued invoice that still expects money, as the ledger knows it."""

    id: UUID
    number: str
    client_name: str | None
    variable_symbol: str | None
    total: DecimalString
    outstanding: DecimalString = Field(description="The total less the payments matched to it")
    currency: str
    issue_date: date
    due_date: date


@router.get("/api/v1/matches/open-invoices", response_model=Page[OpenInvoiceOut])
async def list_open_invoices(
    principal: CurrentPrincipal,
    db: Db,
    limit: Limit = 20,
    cursor: Cursor = None,
    currency: CurrencyCode | None = None,
    q: Annotated[
        str | None,
        Query(max_length=100, description="Part of the number or client name, or the total"),
    ] = None,
) -> Page[OpenInvoiceOut]:
    """Invoices a payment could be matched to by hand, newest first."""
    search = matching.InvoiceSearch(currency=currency, q=q)
    async with db.sessions() as session:
        rows, next_cursor = await keyset_page(
            session,
            matching.open_invoices(principal.workspace_id, search),
            [Invoice.issue_date, Invoice.id],
            limit=limit,
            cursor=cursor,
        )
        outstanding = await matching.outstanding_of(session, rows)
    items = [
        OpenInvoiceOut(
            id=row.id,
            number=row.number,
            client_name=row.client_name,
            variable_symbol=row.variable_symbol,
            total=at_currency_precision(row.total, row.currency),
            outstanding=at_currency_precision(outstanding[row.id], row.currency),
            currency=row.currency,
            issue_date=row.issue_date,
            due_date=row.due_date,
        )
        for row in rows
    ]
    return Page(items=items, next_cursor=next_cursor)
