"""A money movement as a plugin normalizes it: the value every import rule works on."""

from datetime import date
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from kasa_contracts.events.integrations import BankAccountRef
from kasa_contracts.types import CurrencyCode, PositiveAmount


class BankTransaction(BaseModel):
    """One money movement as a plugin normalizes it; the platform adds the rest."""

    model_config = ConfigDict(frozen=True)

    account: BankAccountRef
    external_id: str = Field(min_length=1, max_length=200)
    booking_date: date
    value_date: date | None = None
    amount: PositiveAmount
    direction: Literal["income", "expense"]
    currency: CurrencyCode
    counterparty_name: str | None = None
    counterparty_account: str | None = None
    message: str | None = None
    reference: str | None = None
    variable_symbol: str | None = Field(default=None, pattern=r"^\d{1,10}$")
    constant_symbol: str | None = Field(default=None, pattern=r"^\d{1,10}$")
    specific_symbol: str | None = Field(default=None, pattern=r"^\d{1,10}$")
    raw: dict[str, Any] = Field(default_factory=dict)
