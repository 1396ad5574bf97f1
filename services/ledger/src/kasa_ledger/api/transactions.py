"""/api/v1/transactions: the workspace's money movements, imported or entered by hand."""

from datetime import date
from typing import Annotated, Any, Literal
from uuid import UUID

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field

from kasa_contracts.types import CurrencyCode, PositiveAmount
from kasa_ledger.api.transaction_view import (
    TransactionDetailOut,
    TransactionOut,
    transaction_detail_out,
    transaction_out,
)
from kasa_ledger.app import booking, transactions
from kasa_ledger.db.tables import Transaction
from kasa_servicekit.auth import CurrentPrincipal, MemberPrincipal
from kasa_servicekit.idempotency import IdempotencyKey, Once
from kasa_servicekit.pagination import Cursor, Limit, Page, keyset_page
from kasa_servicekit.service import Db, Events

router = APIRouter(prefix="/api/v1/transactions", tags=["transactions"])


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
        Query(
            max_length=200,
            description="Text in description, counterparty, its account, reference, notes, "
            "variable, constant or specific symbol",
        ),
    ] = None,
    kind: Annotated[
        Literal["entry", "adjustment", "reversal"] | None,
        Query(description="entry: the movements themselves, without their corrections"),
    ] = None,
    sync_id: Annotated[UUID | None, Query(description="Imported by this sync run")] = None,
) -> Page[TransactionOut]:
    filters = transactions.Filters(
        from_=from_,
        to=to,
        type=type,
        source=source,
        account_id=account_id,
        category=category,
        unmatched=unmatched,
        q=q,
        kind=kind,
        sync_id=sync_id,
    )
    async with db.sessions() as session:
        rows, next_cursor = await keyset_page(
            session,
            transactions.listing(principal.workspace_id, filters),
            [Transaction.transacted_on, Transaction.id],
            limit=limit,
            cursor=cursor,
        )
        found = await transactions.entries(session, rows)
    return Page(items=[transaction_out(e) for e in found], next_cursor=next_cursor)


@router.get("/{transaction_id}", response_model=TransactionDetailOut)
async def get_transaction(
    transaction_id: UUID, principal: CurrentPrincipal, db: Db
) -> TransactionDetailOut:
    async with db.sessions() as session:
        found = await transactions.entry(session, principal.workspace_id, transaction_id)
        corrections = await transactions.corrections_of(session, transaction_id)
    return transaction_detail_out(found, corrections)


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


@router.post("", status_code=201, response_model=TransactionDetailOut)
async def create_transaction(
    body: ManualTransactionIn,
    principal: MemberPrincipal,
    db: Db,
    events: Events,
    idempotency_key: IdempotencyKey = None,
) -> Any:
    once = Once.of(
        principal.workspace_id, CREATE_SCOPE, idempotency_key, body.model_dump(mode="json")
    )
    async with db.transaction() as session:
        if (replayed := await once.replayed(session)) is not None:
            return replayed
        tx = await booking.book_manual(session, principal, dict(body), events)
        [booked] = await transactions.entries(session, [tx])
        # A new entry has no corrections yet; answered as its detail, as GET shows it.
        shown = transaction_detail_out(booked, [])
        return await once.remember(session, shown.model_dump(mode="json"))


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
    transaction_id: UUID, body: MetadataIn, principal: MemberPrincipal, db: Db, events: Events
) -> TransactionOut:
    changes = {name: getattr(body, name) for name in body.model_fields_set}
    async with db.transaction() as session:
        edited = await transactions.edit_metadata(
            session, principal, transaction_id, changes, events
        )
    return transaction_out(edited)
