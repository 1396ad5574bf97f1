"""Categorizing transactions by a workspace's rules: pure, no I/O.

A rule names a category and conditions that must all hold: the counterparty contains a text,
the description contains a text, the direction, and an amount range in one currency. Rules are
tried by ascending priority (then by age); the first that fits wins. A category a user set by
hand is never replaced, which the caller ensures by asking only for transactions without one.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from uuid import UUID

from kasa_ledger.domain.errors import DomainError


class CategoryExists(DomainError):
    def __init__(self, name: str) -> None:
        super().__init__(f"the category {name!r} exists")


class UnknownCategory(DomainError):
    """A rule names a category the workspace does not have."""

    def __init__(self) -> None:
        super().__init__("the category does not exist")


@dataclass(frozen=True)
class Rule:
    id: UUID
    category: str
    priority: int
    counterparty_contains: str | None = None
    description_contains: str | None = None
    direction: str | None = None
    currency: str | None = None
    min_amount: Decimal | None = None
    max_amount: Decimal | None = None


@dataclass(frozen=True)
class Facts:
    type: str
    amount: Decimal
    currency: str
    counterparty: str | None
    description: str | None


def _contains(haystack: str | None, needle: str | None) -> bool:
    return needle is None or (haystack is not None and needle.casefold() in haystack.casefold())


def fits(rule: Rule, tx: Facts) -> bool:
    if rule.direction is not None and rule.direction != tx.type:
        return False
    if not _contains(tx.counterparty, rule.counterparty_contains):
        return False
    if not _contains(tx.description, rule.description_contains):
        return False
    if rule.min_amount is not None or rule.max_amount is not None:
        if rule.currency != tx.currency:
            return False
        if rule.min_amount is not None and tx.amount < rule.min_amount:
            return False
        if rule.max_amount is not None and tx.amount > rule.max_amount:
            return False
    return True


def categorize(tx: Facts, rules: Iterable[Rule]) -> str | None:
    """The category of the first fitting rule (``rules`` in priority order), or None."""
    return next((rule.category for rule in rules if fits(rule, tx)), None)


def recategorized(tx: Facts, current: str | None, rules: Iterable[Rule]) -> str | None:
    """The category the rules now give a transaction, or None when they leave it as it is."""
    category = categorize(tx, rules)
    return None if category is None or category == current else category
