"""Pure rules: IBAN/BIC checks, invoice numbers, variable symbols, rounding."""

from decimal import Decimal

import pytest

from kasa_invoicing.domain.bank import bic_is_valid, iban_is_valid
from kasa_invoicing.domain.numbering import check_format, format_number, variable_symbol
from kasa_servicekit.money import round_money


@pytest.mark.parametrize(
    "iban",
    [
        "DE89370400440532013000",
        "CZ6508000000192000145399",
        "CZ5855000000001265098001",
        "SK3112000000198742637541",
        "cz65 0800 0000 1920 0014 5399",
    ],
)
def test_valid_ibans(iban):
    assert iban_is_valid(iban)


@pytest.mark.parametrize(
    "iban", ["DE89370400440532013001", "CZ65080000001920001453", "XX", "1234567890123456"]
)
def test_invalid_ibans(iban):
    assert not iban_is_valid(iban)


def test_bics():
    assert bic_is_valid("GIBACZPX") and bic_is_valid("BHBLDEHHXXX")
    assert not bic_is_valid("GIBACZ") and not bic_is_valid("GIBA-ZPX")


def test_numbers_and_variable_symbols():
    assert format_number("{year}-{seq:04d}", 2026, 7) == "2026-0007"
    assert format_number("FV{yy}/{seq}", 2026, 123) == "FV26/123"
    assert variable_symbol("2026-0007") == "20260007"
    assert variable_symbol("FV26/123") == "26123"
    assert variable_symbol("2026-000000123") == "6000000123", "the last ten digits"
    assert variable_symbol("ABC") is None
    with pytest.raises(ValueError):
        check_format("{year}")
    with pytest.raises(ValueError):
        check_format("{seq")


def test_rounding_is_half_up_at_the_currency_precision():
    assert round_money(Decimal("720.125"), "CZK") == Decimal("720.13")
    assert round_money(Decimal("0.005"), "EUR") == Decimal("0.01")
    assert round_money(Decimal("100.5"), "JPY") == Decimal("101")
