"""Amounts at their currency's precision (CZK 2, JPY 0, BHD 3): one rule for every service."""

from decimal import ROUND_HALF_UP, Decimal

from babel.numbers import get_currency_precision


def minor_unit(currency: str) -> Decimal:
    """The smallest amount of ``currency``: ``0.01`` for CZK, ``1`` for JPY."""
    return Decimal(1).scaleb(-get_currency_precision(currency))


def round_money(amount: Decimal, currency: str) -> Decimal:
    """Round half up to the currency's minor unit, as invoices and loan schedules do."""
    return amount.quantize(minor_unit(currency), rounding=ROUND_HALF_UP)


def at_currency_precision(amount: Decimal, currency: str) -> Decimal:
    """``1505.6100`` CZK → ``1505.61``; never rounds away a digit that is not zero."""
    quantized = amount.quantize(minor_unit(currency))
    return quantized if quantized == amount else amount.normalize()
