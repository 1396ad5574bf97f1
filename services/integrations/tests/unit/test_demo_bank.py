"""The demo bank: the same index always makes the same valid transaction."""

from decimal import Decimal

from kasa_integrations.plugins.demo import demo_transaction


def test_the_demo_bank_is_deterministic_and_valid():
    assert demo_transaction(7) == demo_transaction(7)
    assert demo_transaction(5).direction == "income"
    assert demo_transaction(5).variable_symbol == "20260002", "the first incomes pay invoices"
    assert demo_transaction(5).amount == Decimal("36300.00")
    assert demo_transaction(50).variable_symbol == "2026000050"
    assert demo_transaction(3).amount > 0
