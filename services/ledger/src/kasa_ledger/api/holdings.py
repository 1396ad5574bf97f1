"""/api/v1/assets and /api/v1/liabilities: what is owned and owed, with a value history."""

from datetime import date, datetime
from typing import Literal
from uuid import UUID

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from kasa_contracts.types import CurrencyCode, DecimalString
from kasa_ledger.app import holdings
from kasa_ledger.domain.holdings import KINDS, Side
from kasa_servicekit.auth import CurrentPrincipal, MemberPrincipal
from kasa_servicekit.money import at_currency_precision
from kasa_servicekit.service import Db, Events


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
    closed_on: date | None = Field(description="From this day on it no longer counts")
    close_reason: str | None


class ValueIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    valued_on: date
    # At most 14 digits before the point, as every other amount: a larger value cannot be
    # stored exactly (SQLite holds 1/10000 units in 64 bits) and would fail as a 5xx.
    value: DecimalString = Field(ge=0, max_digits=18, decimal_places=4)


class CloseIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    closed_on: date = Field(description="The first day it no longer counts in net worth")
    reason: str = Field(min_length=1, max_length=500, examples=["sold"])


def present(found: holdings.Valued) -> HoldingOut:
    holding = found.holding
    history = [
        ValueOut(valued_on=v.valued_on, value=at_currency_precision(v.value, holding.currency))
        for v in found.values
    ]
    return HoldingOut(
        id=holding.id,
        kind=holding.kind,
        name=holding.name,
        currency=holding.currency,
        value=history[-1].value if history else None,
        history=history,
        created_at=holding.created_at,
        closed_on=holding.closed_on,
        close_reason=holding.close_reason,
    )


def _router(side: Side, path: str) -> APIRouter:
    router = APIRouter(prefix=f"/api/v1/{path}", tags=[path])
    kinds = KINDS[side]

    class HoldingIn(BaseModel):
        model_config = ConfigDict(extra="forbid")

        name: str = Field(min_length=1, max_length=200)
        kind: Literal[kinds] = "other"  # type: ignore[valid-type]
        currency: CurrencyCode
        value: ValueIn | None = Field(default=None, description="A first value")

    @router.get("", response_model=list[HoldingOut])
    async def list_holdings(principal: CurrentPrincipal, db: Db) -> list[HoldingOut]:
        async with db.sessions() as session:
            found = await holdings.holdings(session, principal.workspace_id, side)
        return [present(h) for h in found]

    @router.post("", status_code=201, response_model=HoldingOut)
    async def create_holding(
        body: HoldingIn, principal: MemberPrincipal, db: Db, events: Events
    ) -> HoldingOut:
        first = None if body.value is None else (body.value.valued_on, body.value.value)
        async with db.transaction() as session:
            created = await holdings.create(
                session, principal, side, body.kind, body.name, body.currency, first, events
            )
            return present(await holdings.valued(session, created))

    @router.get("/{holding_id}", response_model=HoldingOut)
    async def get_holding(holding_id: UUID, principal: CurrentPrincipal, db: Db) -> HoldingOut:
        async with db.sessions() as session:
            found = await holdings.holding(session, principal.workspace_id, side, holding_id)
            return present(await holdings.valued(session, found))

    @router.post("/{holding_id}/values", status_code=201, response_model=HoldingOut)
    async def add_value(
        holding_id: UUID, body: ValueIn, principal: MemberPrincipal, db: Db, events: Events
    ) -> HoldingOut:
        """Record the value on a day; recording the same day again replaces it."""
        async with db.transaction() as session:
            found = await holdings.holding(
                session, principal.workspace_id, side, holding_id, for_update=True
            )
            await holdings.record_value(
                session, principal, found, body.valued_on, body.value, events
            )
            return present(await holdings.valued(session, found))

    @router.post("/{holding_id}/close", response_model=HoldingOut)
    async def close_holding(
        holding_id: UUID, body: CloseIn, principal: MemberPrincipal, db: Db, events: Events
    ) -> HoldingOut:
        """Close it (sold, paid off, written off): its history stays, it takes no more values,
        and net worth leaves it out from ``closed_on``. Closing is final."""
        async with db.transaction() as session:
            found = await holdings.holding(
                session, principal.workspace_id, side, holding_id, for_update=True
            )
            await holdings.close(session, principal, found, body.closed_on, body.reason, events)
            return present(await holdings.valued(session, found))

    return router


assets = _router("asset", "assets")
liabilities = _router("liability", "liabilities")
