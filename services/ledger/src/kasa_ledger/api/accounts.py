"""/api/v1/accounts: where the money sits, and how much of it, per currency."""

from collections import defaultdict
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal
from uuid import UUID

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from kasa_contracts.changes import diff
from kasa_contracts.events.ledger import AccountUpdated
from kasa_contracts.types import CurrencyCode, DecimalString, MoneyAmount
from kasa_ledger.booking import account_created
from kasa_ledger.db.snapshots import plain
from kasa_ledger.db.tables import Account, Transaction
from kasa_servicekit import idempotency
from kasa_servicekit.auth import CurrentPrincipal, WritingPrincipal
from kasa_servicekit.db import utcnow
from kasa_servicekit.idempotency import IdempotencyKey
from kasa_servicekit.ids import new_id
from kasa_servicekit.money import at_currency_precision
from kasa_servicekit.outbox import add_caller_events, add_events
from kasa_servicekit.pagination import Cursor, Limit, Page, keyset_page
from kasa_servicekit.scoping import owned
from kasa_servicekit.service import Db

router = APIRouter(prefix="/api/v1/accounts", tags=["accounts"])

Kind = Literal["bank", "cash", "wallet", "other"]


class Balance(BaseModel):
    currency: str
    amount: DecimalString


class AccountOut(BaseModel):
    id: UUID
    name: str
    kind: Kind
    iban: str | None
    account_number: str | None
    currency: str
    opening_balance: DecimalString
    opening_date: date | None
    balances: list[Balance] = Field(
        description="Opening balance plus every transaction booked on the account since the "
        "opening date, one line per currency"
    )
    created_at: datetime


async def balances_of(
    session: AsyncSession, accounts: list[Account], *, until: date | None = None
) -> dict[UUID, list[Balance]]:
    """Balances derived from the transactions, never stored: corrections and voids included."""
    totals: dict[UUID, dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    for account in accounts:
        totals[account.id][account.currency] += account.opening_balance
    for account in accounts:
        stmt = (
            select(Transaction.currency, Transaction.type, func.sum(Transaction.amount))
            .where(
                Transaction.workspace_id == account.workspace_id,
                Transaction.account_id == account.id,
            )
            .group_by(Transaction.currency, Transaction.type)
        )
        if until is not None:
            stmt = stmt.where(Transaction.transacted_on <= until)
        if account.opening_date is not None:
            # The opening balance already holds what happened before its date.
            stmt = stmt.where(Transaction.transacted_on >= account.opening_date)
        for currency, type_, total in await session.execute(stmt):
            signed = Decimal(total) if type_ == "income" else -Decimal(total)
            totals[account.id][currency] += signed
    return {
        account_id: [
            Balance(currency=currency, amount=at_currency_precision(amount, currency))
            for currency, amount in sorted(by_currency.items())
        ]
        for account_id, by_currency in totals.items()
    }


async def present(session: AsyncSession, accounts: list[Account]) -> list[AccountOut]:
    balances = await balances_of(session, accounts)
    return [
        AccountOut(
            id=a.id,
            name=a.name,
            kind=a.kind,
            iban=a.iban,
            account_number=a.account_number,
            currency=a.currency,
            opening_balance=at_currency_precision(a.opening_balance, a.currency),
            opening_date=a.opening_date,
            balances=balances.get(a.id, []),
            created_at=a.created_at,
        )
        for a in accounts
    ]


@router.get("", response_model=Page[AccountOut])
async def list_accounts(
    principal: CurrentPrincipal, db: Db, limit: Limit = 50, cursor: Cursor = None
) -> Page[AccountOut]:
    stmt = select(Account).where(Account.workspace_id == principal.workspace_id)
    async with db.sessions() as session:
        rows, next_cursor = await keyset_page(
            session, stmt, [Account.id], limit=limit, cursor=cursor, descending=False
        )
        return Page(items=await present(session, rows), next_cursor=next_cursor)


async def _account(session: AsyncSession, workspace_id: UUID, account_id: UUID) -> Account:
    return await owned(session, Account, account_id, workspace_id, "account")


@router.get("/{account_id}", response_model=AccountOut)
async def get_account(account_id: UUID, principal: CurrentPrincipal, db: Db) -> AccountOut:
    async with db.sessions() as session:
        [out] = await present(
            session, [await _account(session, principal.workspace_id, account_id)]
        )
        return out


class AccountIn(BaseModel):
    """A manual account: cash, a wallet, or a bank the ledger does not sync."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200)
    kind: Kind = "cash"
    currency: CurrencyCode
    opening_balance: MoneyAmount = Decimal(0)
    opening_date: date | None = None
    iban: str | None = Field(default=None, max_length=50)
    account_number: str | None = Field(default=None, max_length=100)


@router.post("", status_code=201, response_model=AccountOut)
async def create_account(
    body: AccountIn, principal: WritingPrincipal, db: Db, idempotency_key: IdempotencyKey = None
) -> Any:
    scope = "POST /api/v1/accounts"
    body_hash = idempotency.request_hash(body.model_dump(mode="json"))
    async with db.transaction() as session:
        stored = await idempotency.replay(
            session, principal.workspace_id, scope, idempotency_key, body_hash
        )
        if stored is not None:
            return JSONResponse(stored.body, status_code=stored.status_code)
        row = {
            **dict(body),
            "id": new_id(),
            "workspace_id": principal.workspace_id,
            "bank_ref": None,
            "created_at": utcnow(),
        }
        account = Account(**row)
        session.add(account)
        await session.flush()
        await add_events(session, [account_created(row, principal.actor)])
        [out] = await present(session, [account])
        body_out = out.model_dump(mode="json")
        await idempotency.remember(
            session, principal.workspace_id, scope, idempotency_key, body_hash, 201, body_out
        )
    return JSONResponse(body_out, status_code=201)


class AccountPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, min_length=1, max_length=200)
    opening_balance: MoneyAmount | None = None
    opening_date: date | None = None


EDITABLE = ("name", "opening_balance", "opening_date")


@router.patch("/{account_id}", response_model=AccountOut)
async def update_account(
    account_id: UUID, body: AccountPatch, principal: WritingPrincipal, db: Db
) -> AccountOut:
    async with db.transaction() as session:
        account = await _account(session, principal.workspace_id, account_id)
        before = {name: plain(getattr(account, name)) for name in EDITABLE}
        for name in body.model_fields_set:
            value = getattr(body, name)
            if value is None and name != "opening_date":
                continue
            setattr(account, name, value)
        changes = diff(before, {name: plain(getattr(account, name)) for name in EDITABLE})
        if changes:
            event = AccountUpdated(account_id=account.id, changes=changes)
            await add_caller_events(session, principal, event, producer="ledger")
        await session.flush()
        [out] = await present(session, [account])
        return out
