"""Amounts at their currency's precision: one rounding rule for invoices and loan schedules."""

from decimal import Decimal

import pytest

from kasa_servicekit.money import at_currency_precision, minor_unit, round_money


@pytest.mark.parametrize(
    ("currency", "unit"), [("CZK", "0.01"), ("EUR", "0.01"), ("JPY", "1"), ("BHD", "0.001")]
)
def test_the_minor_unit_follows_the_currency(currency, unit):
    assert minor_unit(currency) == Decimal(unit)


@pytest.mark.parametrize(
    ("amount", "currency", "rounded"),
    [
        ("2.345", "CZK", "2.35"),
        ("2.344", "CZK", "2.34"),
        ("-2.345", "CZK", "-2.35"),
        ("1500", "CZK", "1500.00"),
        ("1234.5", "JPY", "1235"),
        ("1234.4999", "JPY", "1234"),
        ("1.2345", "BHD", "1.235"),
        ("1.2344", "BHD", "1.234"),
    ],
)
def test_money_rounds_half_up_to_the_minor_unit(amount, currency, rounded):
    result = round_money(Decimal(amount), currency)

    assert result == Decimal(rounded)
    assert str(result) == rounded  # at the currency's scale, not merely equal


@pytest.mark.parametrize(
    ("amount", "currency", "shown"),
    [
        ("1505.6100", "CZK", "1505.61"),
        ("1505.6150", "CZK", "1505.615"),
        ("100.0000", "JPY", "100"),
        ("1.2000", "BHD", "1.200"),
    ],
)
def test_the_currency_precision_drops_only_zeros(amount, currency, shown):
    assert str(at_currency_precision(Decimal(amount), currency)) == shown
