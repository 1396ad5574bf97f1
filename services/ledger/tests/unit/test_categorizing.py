"""Category rules on their own: the first fitting rule by priority names the category."""

from decimal import Decimal
from uuid import uuid4

from kasa_ledger.domain.categorizing import Facts, Rule, categorize, recategorized


def test_the_first_fitting_rule_by_priority_wins():
    groceries = Rule(uuid4(), "groceries", 10, counterparty_contains="albert")
    big = Rule(
        uuid4(), "big spend", 20, direction="expense", currency="CZK", min_amount=Decimal(1000)
    )
    tx = Facts("expense", Decimal("1500"), "CZK", "ALBERT Praha", None)
    assert categorize(tx, [groceries, big]) == "groceries"
    assert categorize(Facts("expense", Decimal("1500"), "CZK", "Lidl", None), [groceries, big]) == (
        "big spend"
    )
    in_euro = Facts("expense", Decimal("1500"), "EUR", "Lidl", None)
    assert categorize(in_euro, [groceries, big]) is None, "a range holds in its own currency"


def test_applying_rules_again_changes_only_what_they_now_say_differently():
    rent = Rule(uuid4(), "rent", 10, description_contains="najem")
    tx = Facts("expense", Decimal("18000"), "CZK", None, "Najem unor")
    assert recategorized(tx, None, [rent]) == "rent"
    assert recategorized(tx, "rent", [rent]) is None, "already there"
    assert recategorized(tx, "office", []) is None, "no rule fits: the category stays"
