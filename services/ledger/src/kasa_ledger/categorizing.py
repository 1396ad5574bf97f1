"""Applying a workspace's category rules to transactions (rules in ``domain.categorizing``)."""

from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kasa_ledger.db.tables import Category, CategoryRule
from kasa_ledger.domain.categorizing import Rule

_RULES = "kasa_ledger_rules"


async def rules_of(session: AsyncSession, workspace_id: UUID) -> list[Rule]:
    """The workspace's rules in the order they are tried.

    Read once per transaction and workspace: a batch of imports sees one set of rules.
    """
    known: dict[UUID, list[Rule]] = session.sync_session.info.setdefault(_RULES, {})
    if workspace_id in known:
        return known[workspace_id]
    rows = await session.execute(
        select(CategoryRule, Category.name)
        .join(Category, Category.id == CategoryRule.category_id)
        .where(CategoryRule.workspace_id == workspace_id)
        .order_by(CategoryRule.priority, CategoryRule.id)
    )
    known[workspace_id] = [
        Rule(
            id=rule.id,
            category=name,
            priority=rule.priority,
            counterparty_contains=rule.counterparty_contains,
            description_contains=rule.description_contains,
            direction=rule.direction,
            currency=rule.currency,
            min_amount=rule.min_amount,
            max_amount=rule.max_amount,
        )
        for rule, name in rows
    ]
    return known[workspace_id]
