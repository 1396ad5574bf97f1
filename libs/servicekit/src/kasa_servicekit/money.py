"""Amounts as people read them: at their currency's precision (CZK 2, JPY 0, BHD 3)."""

from decimal import Decimal

from babel.numbers import get_currency_precision


def at_currency_precision(amount: Decimal, currency: str) -> Decimal:
    """``1505.6100`` CZK → ``1505.61``; never rounds away a digit that is not zero."""
    exponent = Decimal(1).scaleb(-get_currency_precision(currency))
    quantized = amount.quantize(exponent)
    return quantized if quantized == amount else amount.normalize()
