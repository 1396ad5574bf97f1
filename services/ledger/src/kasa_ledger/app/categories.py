"""Categories and the rules that put transactions into them."""

from collections.abc import Mapping
from typing import Any
from uuid import UUID

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from kasa_contracts.changes import diff, wire_value
from kasa_contracts.events.ledger import CategoryCreated, CategoryRuleCreated, TransactionUpdated
from kasa_ledger.db import day_totals
from kasa_ledger.db.queries import in_workspace, rules_of
from kasa_ledger.db.tables import Category, CategoryRule, Transaction
from kasa_ledger.domain.categorizing import (
    CategoryExists,
    Facts,
    UnknownCategory,
    recategorized,
)
from kasa_servicekit.auth import Principal
from kasa_servicekit.db import insert_if_absent, utcnow
from kasa_servicekit.events import EventWriter
from kasa_servicekit.ids import new_id


def listing(workspace_id: UUID) -> Select[tuple[Category]]:
    """The workspace's categories, as a query to page through."""
    return select(Category).where(Category.workspace_id == workspace_id)


async def create_category(
    session: AsyncSession, principal: Principal, name: str, events: EventWriter
) -> dict[str, Any]:
    """A new category; its name is unique in the workspace. The row as written."""
    row = {
        "id": new_id(),
        "workspace_id": principal.workspace_id,
        "name": name,
        "created_at": utcnow(),
    }
    if not await insert_if_absent(session, Category.__table__, row, ["workspace_id", "name"]):
        raise CategoryExists(name)
    await events.write(session, CategoryCreated(category_id=row["id"], name=name), on=principal)
    return row


async def rules(session: AsyncSession, workspace_id: UUID) -> list[CategoryRule]:
    """The workspace's rules in the order they are tried."""
    return list(
        await session.scalars(
            select(CategoryRule)
            .where(CategoryRule.workspace_id == workspace_id)
            .order_by(CategoryRule.priority, CategoryRule.id)
        )
    )


async def create_rule(
    session: AsyncSession,
    principal: Principal,
    conditions: Mapping[str, Any],
    shown: Mapping[str, Any],
    events: EventWriter,
) -> CategoryRule:
    """A rule for one of the workspace's categories.

    ``conditions`` are the rule's columns; ``shown`` the same as the caller sent them, which
    the event tells.
    """
    category_id = conditions["category_id"]
    if await in_workspace(session, Category, category_id, principal.workspace_id) is None:
        raise UnknownCategory()
    rule = CategoryRule(
        id=new_id(), workspace_id=principal.workspace_id, created_at=utcnow(), **conditions
    )
    session.add(rule)
    await session.flush()
    created = CategoryRuleCreated(
        rule_id=rule.id,
        category_id=rule.category_id,
        changes=diff(None, {name: wire_value(value) for name, value in shown.items()}),
    )
    await events.write(session, created, on=principal)
    return rule


async def apply_rules(session: AsyncSession, principal: Principal, events: EventWriter) -> int:
    """Categorize existing entries by the rules; hand-set categories are left alone.

    How many entries changed category.
    """
    workspace_rules = await rules_of(session, principal.workspace_id)
    candidates = await session.scalars(
        select(Transaction).where(
            Transaction.workspace_id == principal.workspace_id,
            Transaction.kind == "entry",
            (Transaction.category_set_by.is_(None)) | (Transaction.category_set_by == "rule"),
        )
    )
    updates, moves = [], []
    for tx in candidates:
        facts = Facts(tx.type, tx.amount, tx.currency, tx.counterparty, tx.description)
        category = recategorized(facts, tx.category, workspace_rules)
        if category is None:
            continue
        changes = diff({"category": tx.category}, {"category": category})
        moves.append((tx, tx.category))
        tx.category, tx.category_set_by = category, "rule"
        updates.append(TransactionUpdated(transaction_id=tx.id, changes=changes))
    await day_totals.recategorize(session, moves)
    await events.write(session, *updates, on=principal)
    return len(updates)
