"""The plugin contract: a name, a version and a sync method that yields transactions."""

from abc import ABC, abstractmethod
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import date
from typing import Any, ClassVar, Literal

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
    variable_symbol: str | None = None
    constant_symbol: str | None = None
    specific_symbol: str | None = None
    raw: dict[str, Any] = Field(default_factory=dict)


class NoSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")


@dataclass
class SyncContext:
    """What a plugin gets for one run."""

    settings: BaseModel
    credentials: BaseModel
    params: dict[str, Any] = field(default_factory=dict)


class Plugin(ABC):
    """Base class of every bank integration.

    A plugin declares ``name``, ``version``, its ``Settings`` and ``Credentials`` models,
    and implements ``sync``, an async generator of ``BankTransaction``. It never writes to
    the database or the broker: the sync engine dedupes, stores and publishes what it yields.
    """

    name: ClassVar[str]
    version: ClassVar[str]
    display_name: ClassVar[str]
    description: ClassVar[str] = ""
    Settings: ClassVar[type[BaseModel]] = NoSettings
    Credentials: ClassVar[type[BaseModel]] = NoSettings

    @abstractmethod
    def sync(self, ctx: SyncContext) -> AsyncIterator[BankTransaction]:
        """Yield every transaction in the run's window, oldest first."""
