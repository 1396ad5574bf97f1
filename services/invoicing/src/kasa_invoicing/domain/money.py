"""Rounding to a currency's minor unit.

The one rounding rule of invoices: half up (away from zero for the positive amounts invoices
hold), to the currency's precision as CLDR gives it (CZK and EUR 2, JPY 0).
"""

from decimal import ROUND_HALF_UP, Decimal

from babel.numbers import get_currency_precision


def minor_unit(currency: str) -> Decimal:
    return Decimal(1).scaleb(-get_currency_precision(currency))


def round_money(amount: Decimal, currency: str) -> Decimal:
    """``amount`` rounded half up to ``currency``'s minor unit."""
    return amount.quantize(minor_unit(currency), rounding=ROUND_HALF_UP)
