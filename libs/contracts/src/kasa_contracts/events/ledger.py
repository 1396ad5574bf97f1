"""Events published by the ledger service."""

from datetime import date
from typing import Literal
from uuid import UUID

from kasa_contracts.envelope import EventPayload
from kasa_contracts.spec import EventSpec
from kasa_contracts.types import CurrencyCode, PositiveAmount


class TransactionRecorded(EventPayload):
    """A money transaction was booked in the ledger."""

    event_type = "ledger.transaction.recorded"
    entity_type = "transaction"
    entity_id_field = "transaction_id"

    transaction_id: UUID
    source: str
    external_id: str | None
    type: Literal["income", "expense"]
    amount: PositiveAmount
    currency: CurrencyCode
    transacted_on: date


SPECS = [EventSpec(TransactionRecorded, "ledger", ("audit",))]
