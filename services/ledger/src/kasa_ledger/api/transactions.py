"""/api/v1/transactions: the workspace's money movements, imported or entered by hand."""

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal
from uuid import UUID

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, model_validator
from sqlalchemy import (
    CompoundSelect,
    String,
    and_,
    bindparam,
    cast,
    exists,
    func,
    literal,
    null,
    or_,
    select,
    text,
    union_all,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import BindParameter

from kasa_contracts.changes import diff
from kasa_contracts.events.ledger import TransactionUpdated
from kasa_contracts.types import CurrencyCode, DecimalString, PositiveAmount
from kasa_ledger.booking import book
from kasa_ledger.db.queries import transaction_in_workspace
from kasa_ledger.db.snapshots import EDITABLE, snapshot
from kasa_ledger.db.tables import Account, PaymentMatch, Transaction
from kasa_ledger.domain.corrections import Adjustment, effective_amount, is_voided
from kasa_ledger.domain.matching import normalize_symbol
from kasa_ledger.payments import auto_match
from kasa_servicekit import idempotency
from kasa_servicekit.auth import CurrentPrincipal, WritingPrincipal
from kasa_servicekit.idempotency import IdempotencyKey
from kasa_servicekit.money import at_currency_precision
from kasa_servicekit.outbox import add_caller_events
from kasa_servicekit.pagination import Cursor, Limit, Page, keyset_page
from kasa_servicekit.problems import ProblemError, not_found
from kasa_servicekit.service import Db

router = APIRouter(prefix="/api/v1/transactions", tags=["transactions"])


class MatchOut(BaseModel):
    match_id: UUID
    invoice_id: UUID
    amount: DecimalString
    reason: str


class TransactionOut(BaseModel):
    """A booked entry with what it means now: its corrections, void and invoice payments."""

    model_config = ConfigDict(from_attributes=True)

    id: UUID
    source: str
    external_id: str | None
    kind: Literal["entry", "adjustment", "reversal"]
    adjusts_id: UUID | None = Field(description="The entry an adjustment or reversal belongs to")
    type: Literal["income", "expense"]
    amount: DecimalString = Field(description="As booked; never changes")
    currency: str
    effective_amount: DecimalString = Field(
        description="The amount after linked corrections; 0 when voided"
    )
    voided: bool
    transacted_on: date
    value_date: date | None
    description: str | None
    counterparty: str | None
    counterparty_account: str | None
    reference: str | None
    variable_symbol: str | None
    constant_symbol: str | None
    specific_symbol: str | None
    account_ref: str | None
    account_id: UUID | None
    category: str | None
    notes: str | None
    tags: list[str]
    invoice_id: UUID | None = Field(description="The invoice this pays (the first, if several)")
    matched_amount: DecimalString = Field(description="How much of it is applied to invoices")
    matches: list[MatchOut]
    raw_data: dict[str, Any]
    created_at: datetime

    @model_validator(mode="after")
    def _readable_amounts(self) -> "TransactionOut":
        self.amount = at_currency_precision(self.amount, self.currency)
        self.effective_amount = at_currency_precision(self.effective_amount, self.currency)
        self.matched_amount = at_currency_precision(self.matched_amount, self.currency)
        for match in self.matches:
            match.amount = at_currency_precision(match.amount, self.currency)
        return self


@dataclass(frozen=True)
class _Paid:
    id: UUID
    invoice_id: UUID
    amount: Decimal
    reason: str


def _linked_query() -> CompoundSelect[Any]:
    ids: BindParameter[list[UUID]] = bindparam("ids", expanding=True)
    payments = select(
        literal("payment", String).label("link"),
        PaymentMatch.transaction_id.label("entry_id"),
        PaymentMatch.id.label("match_id"),
        PaymentMatch.invoice_id,
        PaymentMatch.reason,
        PaymentMatch.amount,
        cast(null(), Transaction.kind.type).label("kind"),
        cast(null(), Transaction.type.type).label("type"),
    ).where(PaymentMatch.transaction_id.in_(ids), PaymentMatch.unmatched_at.is_(None))
    corrections = select(
        literal("correction", String),
        Transaction.adjusts_id,
        cast(null(), PaymentMatch.id.type),
        cast(null(), PaymentMatch.invoice_id.type),
        cast(null(), PaymentMatch.reason.type),
        Transaction.amount,
        Transaction.kind,
        Transaction.type,
    ).where(Transaction.adjusts_id.in_(ids))
    # Column types (UUIDs, exact money) come from the first select of the union.
    return union_all(payments, corrections).order_by(text("link"), text("match_id"))


# Built once: making the statement per page cost more than running it.
_LINKED = _linked_query()


async def _linked(
    session: AsyncSession, ids: Sequence[UUID]
) -> tuple[dict[UUID, list[Adjustment]], dict[UUID, list[_Paid]]]:
    """The corrections and active invoice payments of these entries, in one round trip.

    A page of entries is otherwise three queries; each costs more in driver round trips than
    in SQL, and most entries have neither.
    """
    adjustments: dict[UUID, list[Adjustment]] = defaultdict(list)
    paid: dict[UUID, list[_Paid]] = defaultdict(list)
    if not ids:
        return adjustments, paid
    rows = await session.execute(_LINKED, {"ids": list(ids)})
    for link, entry_id, match_id, invoice_id, reason, amount, kind, type_ in rows:
        if link == "payment":
            paid[entry_id].append(_Paid(match_id, invoice_id, amount, reason))
        else:
            adjustments[entry_id].append(Adjustment(kind=kind, type=type_, amount=amount))
    return adjustments, paid


async def present(session: AsyncSession, rows: Sequence[Transaction]) -> list[TransactionOut]:
    adjustments, matches = await _linked(session, [r.id for r in rows])
    columns = [c.key for c in Transaction.__table__.columns]
    out = []
    for row in rows:
        own = adjustments.get(row.id, [])
        paid = matches.get(row.id, [])
        out.append(
            TransactionOut.model_validate(
                {
                    **{key: getattr(row, key) for key in columns},
                    "tags": row.tags or [],
                    "effective_amount": effective_amount(row.type, row.amount, own),
                    "voided": is_voided(own),
                    "invoice_id": paid[0].invoice_id if paid else None,
                    "matched_amount": sum((m.amount for m in paid), Decimal(0)),
                    "matches": [
                        MatchOut(
                            match_id=m.id, invoice_id=m.invoice_id, amount=m.amount, reason=m.reason
                        )
                        for m in paid
                    ],
                }
            )
        )
    return out


async def present_one(session: AsyncSession, row: Transaction) -> TransactionOut:
    [out] = await present(session, [row])
    return out


@router.get("", response_model=Page[TransactionOut])
async def list_transactions(
    principal: CurrentPrincipal,
    db: Db,
    limit: Limit = 50,
    cursor: Cursor = None,
    from_: Annotated[date | None, Query(alias="from")] = None,
    to: date | None = None,
    type: Literal["income", "expense"] | None = None,
    source: str | None = None,
    account_id: UUID | None = None,
    category: str | None = None,
    unmatched: Annotated[
        bool | None,
        Query(description="true: income entries not applied to any invoice; false: applied"),
    ] = None,
    q: Annotated[
        str | None,
        Query(max_length=200, description="Text in description, counterparty, reference, notes"),
    ] = None,
) -> Page[TransactionOut]:
    stmt = select(Transaction).where(Transaction.workspace_id == principal.workspace_id)
    if from_:
        stmt = stmt.where(Transaction.transacted_on >= from_)
    if to:
        stmt = stmt.where(Transaction.transacted_on <= to)
    if type:
        stmt = stmt.where(Transaction.type == type)
    if source:
        stmt = stmt.where(Transaction.source == source)
    if account_id:
        stmt = stmt.where(Transaction.account_id == account_id)
    if category:
        stmt = stmt.where(Transaction.category == category)
    if unmatched is not None:
        applied = exists().where(
            PaymentMatch.transaction_id == Transaction.id, PaymentMatch.unmatched_at.is_(None)
        )
        stmt = stmt.where(
            and_(Transaction.type == "income", Transaction.kind == "entry", ~applied)
            if unmatched
            else applied
        )
    if q:
        pattern = f"%{q.lower()}%"
        searched = (
            Transaction.description,
            Transaction.counterparty,
            Transaction.reference,
            Transaction.notes,
            Transaction.variable_symbol,
            Transaction.counterparty_account,
        )
        stmt = stmt.where(or_(*(func.lower(column).like(pattern) for column in searched)))
    async with db.sessions() as session:
        rows, next_cursor = await keyset_page(
            session,
            stmt,
            [Transaction.transacted_on, Transaction.id],
            limit=limit,
            cursor=cursor,
        )
        items = await present(session, rows)
    return Page(items=items, next_cursor=next_cursor)


@router.get("/{transaction_id}", response_model=TransactionOut)
async def get_transaction(
    transaction_id: UUID, principal: CurrentPrincipal, db: Db
) -> TransactionOut:
    async with db.sessions() as session:
        row = await transaction_in_workspace(session, principal.workspace_id, transaction_id)
        if row is None:
            raise not_found("transaction")
        return await present_one(session, row)


class ManualTransactionIn(BaseModel):
    """Money that moved outside any connected bank (cash, a wallet, a forgotten payment)."""

    model_config = ConfigDict(extra="forbid")

    type: Literal["income", "expense"]
    amount: PositiveAmount
    currency: CurrencyCode
    transacted_on: date
    description: str | None = Field(default=None, max_length=2000)
    counterparty: str | None = Field(default=None, max_length=300)
    counterparty_account: str | None = Field(default=None, max_length=100)
    reference: str | None = Field(default=None, max_length=200)
    variable_symbol: str | None = Field(default=None, pattern=r"^\d{1,10}$")
    account_id: UUID | None = None
    category: str | None = Field(default=None, max_length=100)
    notes: str | None = Field(default=None, max_length=5000)
    tags: list[Annotated[str, Field(min_length=1, max_length=50)]] = Field(
        default_factory=list, max_length=30
    )


CREATE_SCOPE = "POST /api/v1/transactions"


@router.post("", status_code=201, response_model=TransactionOut)
async def create_transaction(
    body: ManualTransactionIn,
    principal: WritingPrincipal,
    db: Db,
    idempotency_key: IdempotencyKey = None,
) -> Any:
    body_hash = idempotency.request_hash(body.model_dump(mode="json"))
    async with db.transaction() as session:
        stored = await idempotency.replay(
            session, principal.workspace_id, CREATE_SCOPE, idempotency_key, body_hash
        )
        if stored is not None:
            return JSONResponse(stored.body, status_code=stored.status_code)
        if body.account_id is not None:
            account = await session.scalar(
                select(Account.id).where(
                    Account.id == body.account_id,
                    Account.workspace_id == principal.workspace_id,
                )
            )
            if account is None:
                raise ProblemError(422, "Unprocessable Content", "the account does not exist")
        row = {
            **dict(body),
            "source": "manual",
            "external_id": None,
            "tags": list(body.tags),
            "vs_normalized": normalize_symbol(body.variable_symbol),
            "category_set_by": "user" if body.category else None,
            "raw_data": {},
        }
        tx = await book(session, row, principal.actor, workspace_id=principal.workspace_id)
        assert tx is not None, "manual entries have no natural key to collide on"
        await auto_match(session, tx)
        out = (await present_one(session, tx)).model_dump(mode="json")
        await idempotency.remember(
            session, principal.workspace_id, CREATE_SCOPE, idempotency_key, body_hash, 201, out
        )
    return JSONResponse(out, status_code=201)


class MetadataIn(BaseModel):
    """The editable metadata of a transaction; omitted fields stay as they are."""

    model_config = ConfigDict(extra="forbid")

    category: str | None = Field(default=None, max_length=100)
    notes: str | None = Field(default=None, max_length=5000)
    tags: list[Annotated[str, Field(min_length=1, max_length=50)]] | None = Field(
        default=None, max_length=30
    )


@router.patch("/{transaction_id}", response_model=TransactionOut)
async def update_metadata(
    transaction_id: UUID, body: MetadataIn, principal: WritingPrincipal, db: Db
) -> TransactionOut:
    async with db.transaction() as session:
        tx = await transaction_in_workspace(
            session, principal.workspace_id, transaction_id, for_update=True
        )
        if tx is None:
            raise not_found("transaction")
        before = snapshot(tx, EDITABLE)
        for name in body.model_fields_set:
            value = getattr(body, name)
            setattr(tx, name, list(value or []) if name == "tags" else value)
        if "category" in body.model_fields_set:
            # A hand-set (or hand-cleared) category is never overwritten by a rule.
            tx.category_set_by = "user"
        changes = diff(before, snapshot(tx, EDITABLE))
        if changes:
            event = TransactionUpdated(transaction_id=tx.id, changes=changes)
            await add_caller_events(session, principal, event, producer="ledger")
        await session.flush()
        return await present_one(session, tx)
