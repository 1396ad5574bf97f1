"""Wire types shared by payloads: exact decimal amounts and ISO 4217 currency codes."""

from decimal import Decimal, InvalidOperation
from typing import Annotated, Any

from pydantic import BeforeValidator, Field, PlainSerializer, WithJsonSchema


def _exact_decimal(value: Any) -> Decimal:
    # Floats cannot represent most decimal amounts; refusing them keeps every money path exact.
    if isinstance(value, float):
        raise ValueError("amounts must be decimal strings, not floating-point numbers")
    if isinstance(value, Decimal):
        result = value
    elif isinstance(value, (str, int)) and not isinstance(value, bool):
        try:
            result = Decimal(str(value).strip())
        except InvalidOperation as exc:
            raise ValueError("not a decimal number") from exc
    else:
        raise ValueError("amounts must be decimal strings")
    if not result.is_finite():
        raise ValueError("amounts must be finite")
    return result


DecimalString = Annotated[
    Decimal,
    BeforeValidator(_exact_decimal),
    PlainSerializer(lambda d: format(d, "f"), return_type=str),
    WithJsonSchema({"type": "string", "pattern": r"^-?\d+(\.\d+)?$"}),
]
"""A decimal number carried as a JSON string ("1234.50"); floats are refused."""

PositiveAmount = Annotated[
    DecimalString,
    Field(gt=0, max_digits=18, decimal_places=4),
    WithJsonSchema({"type": "string", "pattern": r"^\d+(\.\d{1,4})?$"}),
]
"""A strictly positive money amount with at most four decimal places."""

MoneyAmount = Annotated[
    DecimalString,
    Field(max_digits=18, decimal_places=4),
    WithJsonSchema({"type": "string", "pattern": r"^-?\d+(\.\d{1,4})?$"}),
]
"""A money amount of either sign with at most four decimal places (a balance, a limit)."""

CurrencyCode = Annotated[str, Field(pattern=r"^[A-Z]{3}$", examples=["CZK", "EUR"])]
"""An ISO 4217 alphabetic currency code."""
