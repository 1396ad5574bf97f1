"""Amounts at their currency's precision (CZK 2, JPY 0, BHD 3): one rule for every service."""

import re
from decimal import ROUND_HALF_UP, Decimal

from babel.numbers import format_currency, get_currency_precision

_GLUED_CODE = re.compile(r"^(-?[A-Z]{3})(\d)")


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


def money_text(amount: Decimal, currency: str, locale: str, *, every_digit: bool = False) -> str:
    """An amount as ``locale`` writes it: ``1 234,50 Kč`` in ``cs``, ``€1,234.50`` in ``en``.

    Where the locale writes a currency code glued to the number (``CZK1,200.00``), a space
    parts them. ``every_digit`` keeps digits beyond the currency's precision (invoices do)."""
    text = str(
        format_currency(amount, currency, locale=locale, decimal_quantization=not every_digit)
    )
    return _GLUED_CODE.sub("\\1\xa0\\2", text)
