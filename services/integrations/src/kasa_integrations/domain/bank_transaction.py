"""A money movement as a plugin normalizes it: the value every import rule works on.

Bank text is the bank's (or a file's) to choose, and the books downstream store it in bounded
columns. So the plugin contract bounds it here, once for every plugin: a text longer than its
limit in ``TEXT_LIMITS`` is cut to the limit, ending with ``TRUNCATED_MARKER``, and the full
text is kept in the raw record under ``raw["untruncated"][<field>]``. Account identifiers are
not cut (a cut identifier would name another account): an over-long one is refused.
"""

from datetime import date
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from kasa_contracts.events.integrations import BankAccountRef
from kasa_contracts.types import CurrencyCode, PositiveAmount

TRUNCATED_MARKER = "…"
"""Ends a text that was cut to its limit."""
UNTRUNCATED = "untruncated"
"""The key of ``raw`` that keeps the full text of every cut field, by field name."""
TEXT_LIMITS = {
    "counterparty_name": 200,
    "counterparty_account": 100,
    "message": 1000,
    "reference": 200,
}
"""The longest text each field carries, in characters, the marker included."""
ACCOUNT_LIMITS = {
    "provider_account_id": 90,
    "iban": 34,
    "account_number": 100,
}
"""The longest account identifier accepted, in characters (an IBAN has at most 34)."""


def bounded(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters, ending with the marker when it was cut."""
    return text if len(text) <= limit else text[: limit - len(TRUNCATED_MARKER)] + TRUNCATED_MARKER


class BankTransaction(BaseModel):
    """One money movement as a plugin normalizes it; the platform adds the rest.

    Over-long bank text is cut to ``TEXT_LIMITS`` with a marker, the full text kept in ``raw``;
    over-long account identifiers (``ACCOUNT_LIMITS``) are refused.
    """

    model_config = ConfigDict(frozen=True)

    account: BankAccountRef
    external_id: str = Field(min_length=1, max_length=200)
    booking_date: date
    value_date: date | None = None
    amount: PositiveAmount
    direction: Literal["income", "expense"]
    currency: CurrencyCode
    counterparty_name: str | None = Field(default=None, max_length=TEXT_LIMITS["counterparty_name"])
    counterparty_account: str | None = Field(
        default=None, max_length=TEXT_LIMITS["counterparty_account"]
    )
    message: str | None = Field(default=None, max_length=TEXT_LIMITS["message"])
    reference: str | None = Field(default=None, max_length=TEXT_LIMITS["reference"])
    variable_symbol: str | None = Field(default=None, pattern=r"^\d{1,10}$")
    constant_symbol: str | None = Field(default=None, pattern=r"^\d{1,10}$")
    specific_symbol: str | None = Field(default=None, pattern=r"^\d{1,10}$")
    raw: dict[str, Any] = Field(default_factory=dict)

    @model_validator(mode="before")
    @classmethod
    def _bound_text(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        cut = {
            name: value
            for name, limit in TEXT_LIMITS.items()
            if isinstance(value := data.get(name), str) and len(value) > limit
        }
        if not cut:
            return data
        raw = data.get("raw")
        bounded_data = {
            **data,
            **{name: bounded(value, TEXT_LIMITS[name]) for name, value in cut.items()},
        }
        if raw is None or isinstance(raw, dict):
            kept = dict((raw or {}).get(UNTRUNCATED) or {})
            bounded_data["raw"] = {**(raw or {}), UNTRUNCATED: {**kept, **cut}}
        return bounded_data

    @field_validator("account")
    @classmethod
    def _account_identifiers_fit(cls, account: BankAccountRef) -> BankAccountRef:
        for name, limit in ACCOUNT_LIMITS.items():
            value = getattr(account, name)
            if value is not None and len(value) > limit:
                raise ValueError(f"the account's {name} is longer than {limit} characters")
        return account
