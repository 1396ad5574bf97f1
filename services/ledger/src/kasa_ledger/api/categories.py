"""/api/v1/categories: names to group money under, and rules that categorize on import."""

from datetime import datetime
from typing import Literal
from uuid import UUID

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field, model_validator
from sqlalchemy import select

from kasa_contracts.changes import diff
from kasa_contracts.events.ledger import (
    CategoryCreated,
    CategoryRuleCreated,
    TransactionUpdated,
)
from kasa_contracts.types import CurrencyCode, DecimalString, MoneyAmount
from kasa_ledger.categorizing import rules_of
from kasa_ledger.db.snapshots import plain
from kasa_ledger.db.tables import Category, CategoryRule, Transaction
from kasa_ledger.domain.categorizing import Facts, categorize
from kasa_servicekit.auth import CurrentPrincipal, WritingPrincipal
from kasa_servicekit.db import insert_if_absent, utcnow
from kasa_servicekit.ids import new_id
from kasa_servicekit.outbox import add_caller_events, add_events, make_envelope
from kasa_servicekit.pagination import Cursor, Limit, Page, keyset_page
from kasa_servicekit.problems import ProblemError
from kasa_servicekit.service import Db

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
    stmt = select(Category).where(Category.workspace_id == principal.workspace_id)
    async with db.sessions() as session:
        rows, next_cursor = await keyset_page(
            session, stmt, [Category.id], limit=limit, cursor=cursor, descending=False
        )
    return Page(items=[CategoryOut.model_validate(r) for r in rows], next_cursor=next_cursor)


@router.post("", status_code=201, response_model=CategoryOut)
async def create_category(body: CategoryIn, principal: WritingPrincipal, db: Db) -> CategoryOut:
    async with db.transaction() as session:
        row = {
            "id": new_id(),
            "workspace_id": principal.workspace_id,
            "name": body.name,
            "created_at": utcnow(),
        }
        if not await insert_if_absent(session, Category.__table__, row, ["workspace_id", "name"]):
            raise ProblemError(409, "Conflict", f"the category {body.name!r} exists")
        event = CategoryCreated(category_id=row["id"], name=body.name)
        await add_caller_events(session, principal, event, producer="ledger")
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
        rows = await session.scalars(
            select(CategoryRule)
            .where(CategoryRule.workspace_id == principal.workspace_id)
            .order_by(CategoryRule.priority, CategoryRule.id)
        )
        return [RuleOut.model_validate(r) for r in rows]


@router.post("/rules", status_code=201, response_model=RuleOut)
async def create_rule(body: RuleIn, principal: WritingPrincipal, db: Db) -> RuleOut:
    async with db.transaction() as session:
        category = await session.scalar(
            select(Category.id).where(
                Category.id == body.category_id, Category.workspace_id == principal.workspace_id
            )
        )
        if category is None:
            raise ProblemError(422, "Unprocessable Content", "the category does not exist")
        rule = CategoryRule(
            id=new_id(), workspace_id=principal.workspace_id, created_at=utcnow(), **dict(body)
        )
        session.add(rule)
        await session.flush()
        event = CategoryRuleCreated(
            rule_id=rule.id,
            category_id=rule.category_id,
            changes=diff(None, {k: plain(v) for k, v in body.model_dump(mode="json").items()}),
        )
        await add_caller_events(session, principal, event, producer="ledger")
        return RuleOut.model_validate(rule)


class Applied(BaseModel):
    categorized: int


@router.post("/rules/apply", response_model=Applied)
async def apply_rules(principal: WritingPrincipal, db: Db) -> Applied:
    """Categorize existing transactions by the rules; hand-set categories are left alone."""
    changed = 0
    async with db.transaction() as session:
        rules = await rules_of(session, principal.workspace_id)
        candidates = await session.scalars(
            select(Transaction).where(
                Transaction.workspace_id == principal.workspace_id,
                Transaction.kind == "entry",
                (Transaction.category_set_by.is_(None)) | (Transaction.category_set_by == "rule"),
            )
        )
        events = []
        for tx in candidates:
            facts = Facts(tx.type, tx.amount, tx.currency, tx.counterparty, tx.description)
            category = categorize(facts, rules)
            if category is None or category == tx.category:
                continue
            changes = diff({"category": tx.category}, {"category": category})
            tx.category, tx.category_set_by = category, "rule"
            changed += 1
            events.append(
                make_envelope(
                    TransactionUpdated(transaction_id=tx.id, changes=changes),
                    producer="ledger",
                    workspace_id=principal.workspace_id,
                    actor=principal.actor,
                )
            )
        await add_events(session, events)
    return Applied(categorized=changed)
