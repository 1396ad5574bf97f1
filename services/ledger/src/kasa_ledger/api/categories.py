"""/api/v1/categories: names to group money under, and rules that categorize on import."""

from datetime import datetime
from typing import Literal
from uuid import UUID

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field, model_validator

from kasa_contracts.types import CurrencyCode, DecimalString, MoneyAmount
from kasa_ledger.app import categories
from kasa_ledger.db.tables import Category
from kasa_servicekit.auth import CurrentPrincipal, MemberPrincipal
from kasa_servicekit.pagination import Cursor, Limit, Page, keyset_page
from kasa_servicekit.service import Db, Events

router = APIRouter(prefix="/api/v1/categories", tags=["categories"])


class CategoryOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: UUID
    name: str
    created_at: datetime


class CategoryIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=100)


@router.get("", response_model=Page[CategoryOut])
async def list_categories(
    principal: CurrentPrincipal, db: Db, limit: Limit = 100, cursor: Cursor = None
) -> Page[CategoryOut]:
    async with db.sessions() as session:
        rows, next_cursor = await keyset_page(
            session,
            categories.listing(principal.workspace_id),
            [Category.id],
            limit=limit,
            cursor=cursor,
            descending=False,
        )
    return Page(items=[CategoryOut.model_validate(r) for r in rows], next_cursor=next_cursor)


@router.post("", status_code=201, response_model=CategoryOut)
async def create_category(
    body: CategoryIn, principal: MemberPrincipal, db: Db, events: Events
) -> CategoryOut:
    async with db.transaction() as session:
        row = await categories.create_category(session, principal, body.name, events)
    return CategoryOut.model_validate(row)


class RuleIn(BaseModel):
    """All given conditions must hold; an amount range needs its currency."""

    model_config = ConfigDict(extra="forbid")

    category_id: UUID
    priority: int = Field(default=100, ge=0, le=10_000, description="Lower is tried first")
    counterparty_contains: str | None = Field(default=None, min_length=1, max_length=200)
    description_contains: str | None = Field(default=None, min_length=1, max_length=200)
    direction: Literal["income", "expense"] | None = None
    currency: CurrencyCode | None = None
    min_amount: MoneyAmount | None = None
    max_amount: MoneyAmount | None = None

    @model_validator(mode="after")
    def _meaningful(self) -> "RuleIn":
        ranged = self.min_amount is not None or self.max_amount is not None
        if ranged and self.currency is None:
            raise ValueError("an amount range needs a currency")
        if not (
            ranged or self.counterparty_contains or self.description_contains or self.direction
        ):
            raise ValueError("a rule needs at least one condition")
        return self


class RuleOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: UUID
    category_id: UUID
    priority: int
    counterparty_contains: str | None
    description_contains: str | None
    direction: str | None
    currency: str | None
    min_amount: DecimalString | None
    max_amount: DecimalString | None
    created_at: datetime


@router.get("/rules", response_model=list[RuleOut])
async def list_rules(principal: CurrentPrincipal, db: Db) -> list[RuleOut]:
    async with db.sessions() as session:
        return [
            RuleOut.model_validate(r)
            for r in await categories.rules(session, principal.workspace_id)
        ]


@router.post("/rules", status_code=201, response_model=RuleOut)
async def create_rule(body: RuleIn, principal: MemberPrincipal, db: Db, events: Events) -> RuleOut:
    async with db.transaction() as session:
        rule = await categories.create_rule(
            session, principal, dict(body), body.model_dump(mode="json"), events
        )
        return RuleOut.model_validate(rule)


class Applied(BaseModel):
    categorized: int


@router.post("/rules/apply", response_model=Applied)
async def apply_rules(principal: MemberPrincipal, db: Db, events: Events) -> Applied:
    """Categorize existing transactions by the rules; hand-set categories are left alone."""
    async with db.transaction() as session:
        changed = await categories.apply_rules(session, principal, events)
    return Applied(categorized=changed)
