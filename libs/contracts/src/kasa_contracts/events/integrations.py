"""Events published by the integrations service."""

from datetime import date
from typing import Any, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from kasa_contracts.changes import FieldChange
from kasa_contracts.envelope import EventPayload
from kasa_contracts.spec import EventSpec
from kasa_contracts.types import CurrencyCode, PositiveAmount


class BankAccountRef(BaseModel):
    """The account a transaction was booked on, as the provider names it."""

    model_config = ConfigDict(frozen=True)

    provider_account_id: str = Field(description="The provider's own id of the account")
    iban: str | None = None
    account_number: str | None = Field(
        default=None, description="Domestic number, e.g. 19-2000145399/0800"
    )
    currency: CurrencyCode


class TransactionImported(EventPayload):
    """A plugin brought a money movement into Kasa for the first time."""

    event_type = "integrations.transaction.imported"
    entity_type = "imported_transaction"
    entity_id_field = "external_id"

    plugin: str = Field(examples=["fio"])
    plugin_version: str
    sync_id: UUID
    account: BankAccountRef
    external_id: str = Field(description="The provider's unique id of the transaction")
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
    raw: dict[str, Any] = Field(default_factory=dict, description="The provider's record")


class SyncEvent(EventPayload):
    """What every event of a sync run names: the run, and the plugin and version it ran."""

    entity_type = "sync"
    entity_id_field = "sync_id"

    sync_id: UUID
    plugin: str
    plugin_version: str


class SyncCounters(SyncEvent):
    """A sync event with the run's record counters."""

    records_processed: int = Field(ge=0)
    records_created: int = Field(ge=0)
    records_updated: int = Field(ge=0)
    records_skipped: int = Field(ge=0)


class SyncRequested(SyncEvent):
    """A user asked a plugin to sync, or to import an uploaded file; a run starts shortly.

    The run's events (``sync.started``, the imports, the end) name this event as their cause
    and share its correlation id, the sync's id.
    """

    event_type = "integrations.sync.requested"
    upload: bool = Field(default=False, description="The run reads an uploaded file")


class SyncStarted(SyncEvent):
    """A sync run of one plugin for one workspace began."""

    event_type = "integrations.sync.started"


class SyncCompleted(SyncCounters):
    """A sync run finished and everything it found is in the outbox."""

    event_type = "integrations.sync.completed"
    duration_s: float = Field(ge=0)


class SyncFailed(SyncEvent):
    """A sync run stopped with an error; what it imported before that stays imported."""

    event_type = "integrations.sync.failed"
    error_message: str
    records_processed: int = Field(ge=0)


class TransactionUpdated(TransactionImported):
    """A plugin saw a money movement it had imported before, and the provider changed it.

    Carries the whole transaction as it is now (the same fields as ``TransactionImported``)
    plus ``changes``, the fields that differ from what was imported before.
    """

    event_type = "integrations.transaction.updated"
    entity_type = "imported_transaction"
    entity_id_field = "external_id"

    changes: dict[str, FieldChange] = Field(
        default_factory=dict, description="Normalized fields that differ from the last import"
    )


class SyncProgressed(SyncCounters):
    """A long sync is still working: its counters so far (at least once a second)."""

    event_type = "integrations.sync.progressed"
    records_total: int | None = Field(default=None, ge=0, description="When the plugin knows")
    elapsed_s: float = Field(ge=0)
    message: str | None = None


class SyncCancelled(SyncCounters):
    """A user cancelled a sync; what it committed before that stays imported."""

    event_type = "integrations.sync.cancelled"


class PluginConfigured(EventPayload):
    """A workspace's configuration of a plugin changed. Credential fields are named, never shown."""

    event_type = "integrations.plugin.configured"
    entity_type = "plugin_config"
    entity_id_field = "plugin"

    plugin: str = Field(examples=["fio"])
    plugin_version: str
    enabled: bool
    changed_fields: list[str] = Field(
        description="Changed fields: `enabled`, `settings.<name>`, `credentials.<name>`"
    )
    changes: dict[str, FieldChange] = Field(
        default_factory=dict, description="Before/after per field; credentials are redacted"
    )


SPECS = [
    EventSpec(TransactionImported, "integrations", ("ledger", "audit")),
    EventSpec(TransactionUpdated, "integrations", ("ledger", "audit")),
    EventSpec(SyncRequested, "integrations", ("audit",)),
    EventSpec(SyncStarted, "integrations", ("audit",)),
    EventSpec(SyncProgressed, "integrations", ("audit", "gateway")),
    EventSpec(SyncCompleted, "integrations", ("audit",)),
    EventSpec(SyncFailed, "integrations", ("audit",)),
    EventSpec(SyncCancelled, "integrations", ("audit",)),
    EventSpec(PluginConfigured, "integrations", ("audit", "gateway")),
]
