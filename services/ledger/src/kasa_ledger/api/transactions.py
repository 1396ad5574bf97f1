"""GET /api/v1/transactions: the workspace's money movements."""

from datetime import date, datetime
from typing import Annotated, Any, Literal
from uuid import UUID

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, model_validator
from sqlalchemy import select

from kasa_contracts.types import DecimalString
from kasa_ledger.db.tables import Transaction
from kasa_servicekit.auth import CurrentPrincipal
from kasa_servicekit.money import at_currency_precision
from kasa_servicekit.pagination import Cursor, Limit, Page, keyset_page
from kasa_servicekit.problems import not_found
from kasa_servicekit.service import Db

router = APIRouter(prefix="/api/v1/transactions", tags=["transactions"])


class TransactionOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: UUID
    source: str
    external_id: str | None
    type: Literal["income", "expense"]
    amount: DecimalString
    currency: str
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
    category: str | None
    raw_data: dict[str, Any]
    created_at: datetime

    @model_validator(mode="after")
    def _readable_amount(self) -> "TransactionOut":
        self.amount = at_currency_precision(self.amount, self.currency)
        return self


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
    async with db.sessions() as session:
        rows, next_cursor = await keyset_page(
            session,
            stmt,
            [Transaction.transacted_on, Transaction.id],
            limit=limit,
            cursor=cursor,
        )
    return Page(items=[TransactionOut.model_validate(r) for r in rows], next_cursor=next_cursor)


@router.get("/{transaction_id}", response_model=TransactionOut)
async def get_transaction(
    transaction_id: UUID, principal: CurrentPrincipal, db: Db
) -> TransactionOut:
    async with db.sessions() as session:
        row = await session.scalar(
            select(Transaction).where(
                Transaction.id == transaction_id,
                Transaction.workspace_id == principal.workspace_id,
            )
        )
    if row is None:
        raise not_found("transaction")
    return TransactionOut.model_validate(row)
