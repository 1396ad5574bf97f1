"""/api/v1/assets and /api/v1/liabilities: what is owned and owed, with a value history."""

from datetime import date, datetime
from decimal import Decimal
from typing import Literal
from uuid import UUID

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kasa_contracts.changes import diff
from kasa_contracts.events.ledger import HoldingCreated, HoldingValued
from kasa_contracts.types import CurrencyCode, DecimalString
from kasa_ledger.db.snapshots import plain
from kasa_ledger.db.tables import Holding, HoldingValue
from kasa_servicekit.auth import CurrentPrincipal, Principal, WritingPrincipal
from kasa_servicekit.db import utcnow
from kasa_servicekit.ids import new_id
from kasa_servicekit.money import at_currency_precision
from kasa_servicekit.outbox import add_caller_events
from kasa_servicekit.problems import not_found
from kasa_servicekit.service import Db

Side = Literal["asset", "liability"]
KINDS: dict[str, tuple[str, ...]] = {
    "asset": ("property", "vehicle", "investment", "other"),
    "liability": ("credit_card", "other"),
}


class ValueOut(BaseModel):
    valued_on: date
    value: DecimalString


class HoldingOut(BaseModel):
    id: UUID
    kind: str
    name: str
    currency: str
    value: DecimalString | None = Field(description="The latest recorded value")
    history: list[ValueOut]
    created_at: datetime


class ValueIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    valued_on: date
    value: DecimalString = Field(ge=0, decimal_places=4)


async def latest_values(
    session: AsyncSession, workspace_id: UUID, side: Side, as_of: date
) -> dict[str, Decimal]:
    """Per currency, the sum of each holding's latest value on or before ``as_of``."""
    rows = await session.execute(
        select(Holding.id, Holding.currency, HoldingValue.valued_on, HoldingValue.value)
        .join(HoldingValue, HoldingValue.holding_id == Holding.id)
        .where(
            Holding.workspace_id == workspace_id,
            Holding.side == side,
            HoldingValue.valued_on <= as_of,
        )
        .order_by(Holding.id, HoldingValue.valued_on)
    )
    latest: dict[UUID, tuple[str, Decimal]] = {}
    for holding_id, currency, _, value in rows:
        latest[holding_id] = (currency, value)
    totals: dict[str, Decimal] = {}
    for currency, value in latest.values():
        totals[currency] = totals.get(currency, Decimal(0)) + value
    return totals


def _router(side: Side, path: str) -> APIRouter:
    router = APIRouter(prefix=f"/api/v1/{path}", tags=[path])
    kinds = KINDS[side]

    class HoldingIn(BaseModel):
        model_config = ConfigDict(extra="forbid")

        name: str = Field(min_length=1, max_length=200)
        kind: Literal[kinds] = "other"  # type: ignore[valid-type]
        currency: CurrencyCode
        value: ValueIn | None = Field(default=None, description="A first value")

    async def present(session: AsyncSession, holding: Holding) -> HoldingOut:
        values = list(
            await session.scalars(
                select(HoldingValue)
                .where(HoldingValue.holding_id == holding.id)
                .order_by(HoldingValue.valued_on)
            )
        )
        history = [
            ValueOut(valued_on=v.valued_on, value=at_currency_precision(v.value, holding.currency))
            for v in values
        ]
        return HoldingOut(
            id=holding.id,
            kind=holding.kind,
            name=holding.name,
            currency=holding.currency,
            value=history[-1].value if history else None,
            history=history,
            created_at=holding.created_at,
        )

    async def record_value(
        session: AsyncSession, principal: Principal, holding: Holding, body: ValueIn
    ) -> None:
        existing = await session.scalar(
            select(HoldingValue).where(
                HoldingValue.holding_id == holding.id, HoldingValue.valued_on == body.valued_on
            )
        )
        before = plain(existing.value) if existing else None
        if existing:
            existing.value = body.value
        else:
            session.add(
                HoldingValue(
                    id=new_id(),
                    holding_id=holding.id,
                    valued_on=body.valued_on,
                    value=body.value,
                    created_at=utcnow(),
                )
            )
        await session.flush()
        event = HoldingValued(
            holding_id=holding.id,
            valued_on=body.valued_on,
            value=body.value,
            currency=holding.currency,
            changes=diff({"value": before}, {"value": plain(body.value)}),
        )
        await add_caller_events(session, principal, event, producer="ledger")

    @router.get("", response_model=list[HoldingOut])
    async def list_holdings(principal: CurrentPrincipal, db: Db) -> list[HoldingOut]:
        async with db.sessions() as session:
            rows = await session.scalars(
                select(Holding)
                .where(Holding.workspace_id == principal.workspace_id, Holding.side == side)
                .order_by(Holding.id)
            )
            return [await present(session, h) for h in list(rows)]

    @router.post("", status_code=201, response_model=HoldingOut)
    async def create_holding(body: HoldingIn, principal: WritingPrincipal, db: Db) -> HoldingOut:
        async with db.transaction() as session:
            holding = Holding(
                id=new_id(),
                workspace_id=principal.workspace_id,
                side=side,
                kind=body.kind,
                name=body.name,
                currency=body.currency,
                created_at=utcnow(),
            )
            session.add(holding)
            await session.flush()
            created = HoldingCreated(
                holding_id=holding.id,
                side=side,
                kind=holding.kind,
                name=holding.name,
                currency=holding.currency,
            )
            await add_caller_events(session, principal, created, producer="ledger")
            if body.value is not None:
                await record_value(session, principal, holding, body.value)
            return await present(session, holding)

    async def owned(session: AsyncSession, principal: Principal, holding_id: UUID) -> Holding:
        holding = await session.scalar(
            select(Holding).where(
                Holding.id == holding_id,
                Holding.workspace_id == principal.workspace_id,
                Holding.side == side,
            )
        )
        if holding is None:
            raise not_found(side)
        return holding

    @router.get("/{holding_id}", response_model=HoldingOut)
    async def get_holding(holding_id: UUID, principal: CurrentPrincipal, db: Db) -> HoldingOut:
        async with db.sessions() as session:
            return await present(session, await owned(session, principal, holding_id))

    @router.post("/{holding_id}/values", status_code=201, response_model=HoldingOut)
    async def add_value(
        holding_id: UUID, body: ValueIn, principal: WritingPrincipal, db: Db
    ) -> HoldingOut:
        """Record the value on a day; recording the same day again replaces it."""
        async with db.transaction() as session:
            holding = await owned(session, principal, holding_id)
            await record_value(session, principal, holding, body)
            return await present(session, holding)

    return router


assets = _router("asset", "assets")
liabilities = _router("liability", "liabilities")
