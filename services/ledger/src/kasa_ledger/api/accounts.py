"""/api/v1/accounts: where the money sits, and how much of it, per currency."""

from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal
from uuid import UUID

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.ext.asyncio import AsyncSession

from kasa_contracts.types import CurrencyCode, DecimalString, MoneyAmount
from kasa_ledger.app import accounts
from kasa_ledger.db.tables import Account
from kasa_servicekit.auth import AdminPrincipal, CurrentPrincipal
from kasa_servicekit.idempotency import IdempotencyKey, Once
from kasa_servicekit.money import at_currency_precision
from kasa_servicekit.pagination import Cursor, Limit, Page, keyset_page
from kasa_servicekit.service import Db, Events

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


async def present(session: AsyncSession, found: list[Account]) -> list[AccountOut]:
    balances = await accounts.balances_of(session, found)
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
            balances=[
                Balance(currency=currency, amount=at_currency_precision(amount, currency))
                for currency, amount in sorted(balances.get(a.id, {}).items())
            ],
            created_at=a.created_at,
        )
        for a in found
    ]


@router.get("", response_model=Page[AccountOut])
async def list_accounts(
    principal: CurrentPrincipal, db: Db, limit: Limit = 50, cursor: Cursor = None
) -> Page[AccountOut]:
    async with db.sessions() as session:
        rows, next_cursor = await keyset_page(
            session,
            accounts.listing(principal.workspace_id),
            [Account.id],
            limit=limit,
            cursor=cursor,
            descending=False,
        )
        return Page(items=await present(session, rows), next_cursor=next_cursor)


@router.get("/{account_id}", response_model=AccountOut)
async def get_account(account_id: UUID, principal: CurrentPrincipal, db: Db) -> AccountOut:
    async with db.sessions() as session:
        [out] = await present(
            session, [await accounts.account(session, principal.workspace_id, account_id)]
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
    body: AccountIn,
    principal: AdminPrincipal,
    db: Db,
    events: Events,
    idempotency_key: IdempotencyKey = None,
) -> Any:
    scope = "POST /api/v1/accounts"
    once = Once.of(principal.workspace_id, scope, idempotency_key, body.model_dump(mode="json"))
    async with db.transaction() as session:
        if (replayed := await once.replayed(session)) is not None:
            return replayed
        created = await accounts.create(session, principal, dict(body), events)
        [out] = await present(session, [created])
        return await once.remember(session, out.model_dump(mode="json"))


class AccountPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, min_length=1, max_length=200)
    opening_balance: MoneyAmount | None = None
    opening_date: date | None = None


@router.patch("/{account_id}", response_model=AccountOut)
async def update_account(
    account_id: UUID, body: AccountPatch, principal: AdminPrincipal, db: Db, events: Events
) -> AccountOut:
    requested = {name: getattr(body, name) for name in body.model_fields_set}
    async with db.transaction() as session:
        updated = await accounts.update(session, principal, account_id, requested, events)
        [out] = await present(session, [updated])
        return out
