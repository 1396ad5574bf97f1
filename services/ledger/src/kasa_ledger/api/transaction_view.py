"""How a booked transaction is shown: the answer of the transactions and corrections routes."""

from datetime import date, datetime
from typing import Any, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, model_validator

from kasa_contracts.types import DecimalString
from kasa_ledger.app.transactions import Entry
from kasa_ledger.db.tables import Transaction
from kasa_servicekit.money import at_currency_precision


class MatchOut(BaseModel):
    match_id: UUID
    invoice_id: UUID
    amount: DecimalString
    reason: str


class ActorOut(BaseModel):
    type: Literal["user", "plugin", "system"]
    id: str
    name: str | None = None


class TransactionOut(BaseModel):
    """A booked entry with what it means now: its corrections, void and invoice payments."""

    model_config = ConfigDict(from_attributes=True)

    id: UUID
    source: str
    external_id: str | None
    kind: Literal["entry", "adjustment", "reversal"]
    adjusts_id: UUID | None = Field(description="The entry an adjustment or reversal belongs to")
    type: Literal["income", "expense"]
    amount: DecimalString = Field(description="As booked; never changes")
    currency: str
    effective_amount: DecimalString = Field(
        description="The amount after linked corrections; 0 when voided"
    )
    voided: bool
    transacted_on: date
    value_date: date | None
    description: str | None
    counterparty: str | None
    counterparty_account: str | None
    reference: str | None
    variable_symbol: str | None
    constant_symbol: str | None
    specific_symbol: str | None
    account_ref: str | None
    account_id: UUID | None
    category: str | None
    notes: str | None
    tags: list[str]
    invoice_id: UUID | None = Field(description="The invoice this pays (the first, if several)")
    matched_amount: DecimalString = Field(description="How much of it is applied to invoices")
    matches: list[MatchOut]
    raw_data: dict[str, Any]
    sync_id: UUID | None = Field(
        description="The integrations sync run that imported it (``/api/v1/syncs/{id}``)"
    )
    recorded_by: ActorOut | None = Field(
        description="Who entered it by hand or booked this adjustment; null for imports"
    )
    created_at: datetime

    @model_validator(mode="after")
    def _readable_amounts(self) -> "TransactionOut":
        self.amount = at_currency_precision(self.amount, self.currency)
        self.effective_amount = at_currency_precision(self.effective_amount, self.currency)
        self.matched_amount = at_currency_precision(self.matched_amount, self.currency)
        for match in self.matches:
            match.amount = at_currency_precision(match.amount, self.currency)
        return self


class CorrectionOut(BaseModel):
    """An adjustment or reversal booked against an entry: what it changed, why, who, when."""

    id: UUID
    kind: Literal["adjustment", "reversal"]
    type: Literal["income", "expense"]
    amount: DecimalString = Field(description="The linked entry's own amount, in its ``type``")
    reason: str | None
    source: str = Field(description="``manual`` for a user's, else the plugin that restated it")
    recorded_by: ActorOut | None
    created_at: datetime


class TransactionDetailOut(TransactionOut):
    """A transaction with the history of its money: every correction, oldest first."""

    corrections: list[CorrectionOut]

    @model_validator(mode="after")
    def _readable_corrections(self) -> "TransactionDetailOut":
        for correction in self.corrections:
            correction.amount = at_currency_precision(correction.amount, self.currency)
        return self


_COLUMNS = [c.key for c in Transaction.__table__.columns]


def transaction_out(entry: Entry) -> TransactionOut:
    row, paid = entry.row, entry.paid
    return TransactionOut.model_validate(
        {
            **{key: getattr(row, key) for key in _COLUMNS},
            "tags": row.tags or [],
            "effective_amount": entry.effective_amount,
            "voided": entry.voided,
            "invoice_id": paid[0].invoice_id if paid else None,
            "matched_amount": entry.matched_amount,
            "matches": [
                MatchOut(match_id=m.id, invoice_id=m.invoice_id, amount=m.amount, reason=m.reason)
                for m in paid
            ],
        }
    )


def transaction_detail_out(entry: Entry, corrections: list[Transaction]) -> TransactionDetailOut:
    shown = transaction_out(entry).model_dump()
    return TransactionDetailOut.model_validate(
        {
            **shown,
            "corrections": [
                CorrectionOut(
                    id=row.id,
                    kind="reversal" if row.kind == "reversal" else "adjustment",
                    type="income" if row.type == "income" else "expense",
                    amount=row.amount,
                    reason=row.description,
                    source=row.source,
                    recorded_by=ActorOut.model_validate(row.recorded_by)
                    if row.recorded_by
                    else None,
                    created_at=row.created_at,
                )
                for row in corrections
            ],
        }
    )
