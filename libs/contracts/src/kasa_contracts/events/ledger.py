"""Events published by the ledger service."""

from datetime import date
from typing import Literal
from uuid import UUID

from pydantic import Field

from kasa_contracts.changes import FieldChange
from kasa_contracts.envelope import EventPayload
from kasa_contracts.spec import EventSpec
from kasa_contracts.types import CurrencyCode, DecimalString, PositiveAmount


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
    category: str | None = Field(default=None, description="Set by a rule, or by the user")


class TransactionsBooked(EventPayload):
    """Transactions were booked in the ledger together: one notice for live views.

    Each booking has its own ``ledger.transaction.recorded``; this notice stands for the ones
    a workspace got in one commit, so that a screen refreshes once per batch, not once per
    transaction.
    """

    event_type = "ledger.transactions.booked"
    entity_type = "transaction"
    entity_id_field = "last_transaction_id"

    count: int = Field(ge=1, description="How many transactions this commit booked")
    last_transaction_id: UUID = Field(description="The last of them")


class PaymentMatched(EventPayload):
    """Money of a ledger transaction was applied to an invoice."""

    event_type = "ledger.payment.matched"
    entity_type = "payment"
    entity_id_field = "match_id"

    match_id: UUID
    invoice_id: UUID
    transaction_id: UUID
    amount: PositiveAmount
    currency: CurrencyCode
    paid_on: date
    reason: Literal["variable_symbol", "invoice_number", "suggestion_accepted", "manual"]


class PaymentUnmatched(EventPayload):
    """A previously applied payment was taken off its invoice."""

    event_type = "ledger.payment.unmatched"
    entity_type = "payment"
    entity_id_field = "match_id"

    match_id: UUID
    invoice_id: UUID
    transaction_id: UUID
    amount: PositiveAmount
    currency: CurrencyCode


class TransactionCorrected(EventPayload):
    """Booked money was corrected by a linked adjustment entry, or voided by a reversing one.

    The original entry is never edited: ``adjustment_id`` is the new entry that carries the
    difference (``amount`` and ``type`` are that entry's), and ``changes`` shows the effective
    values of the original before and after (``amount``, ``voided``).
    """

    event_type = "ledger.transaction.corrected"
    entity_type = "transaction"
    entity_id_field = "transaction_id"

    transaction_id: UUID
    adjustment_id: UUID
    kind: Literal["correction", "void"]
    type: Literal["income", "expense"]
    amount: PositiveAmount
    currency: CurrencyCode
    reason: str | None = None
    changes: dict[str, FieldChange] = Field(default_factory=dict)


class TransactionUpdated(EventPayload):
    """Metadata of a transaction changed (category, notes, tags, or the bank's description)."""

    event_type = "ledger.transaction.updated"
    entity_type = "transaction"
    entity_id_field = "transaction_id"

    transaction_id: UUID
    changes: dict[str, FieldChange]


class MatchSuggestionRejected(EventPayload):
    """A user said a suggested transaction does not pay that invoice; it is not suggested again."""

    event_type = "ledger.match_suggestion.rejected"
    entity_type = "match_suggestion"
    entity_id_field = "suggestion_id"

    suggestion_id: UUID
    invoice_id: UUID
    transaction_id: UUID
    reason: str


class AccountCreated(EventPayload):
    """An account appeared: a bank account first seen in an import, or one a user added."""

    event_type = "ledger.account.created"
    entity_type = "account"
    entity_id_field = "account_id"

    account_id: UUID
    name: str
    kind: Literal["bank", "cash", "wallet", "other"]
    currency: CurrencyCode
    changes: dict[str, FieldChange] = Field(default_factory=dict)


class AccountUpdated(EventPayload):
    """A user changed an account's name or opening balance."""

    event_type = "ledger.account.updated"
    entity_type = "account"
    entity_id_field = "account_id"

    account_id: UUID
    changes: dict[str, FieldChange]


class CategoryCreated(EventPayload):
    """A user added a category."""

    event_type = "ledger.category.created"
    entity_type = "category"
    entity_id_field = "category_id"

    category_id: UUID
    name: str


class CategoryRuleCreated(EventPayload):
    """A user added a rule that categorizes imported transactions."""

    event_type = "ledger.category_rule.created"
    entity_type = "category_rule"
    entity_id_field = "rule_id"

    rule_id: UUID
    category_id: UUID
    changes: dict[str, FieldChange] = Field(default_factory=dict)


class LoanCreated(EventPayload):
    """A user recorded a loan to be repaid in equal monthly installments."""

    event_type = "ledger.loan.created"
    entity_type = "loan"
    entity_id_field = "loan_id"

    loan_id: UUID
    name: str
    principal: PositiveAmount
    currency: CurrencyCode
    changes: dict[str, FieldChange] = Field(default_factory=dict)


class LoanPaymentLinked(EventPayload):
    """A user linked a booked transaction to the loan installment it paid."""

    event_type = "ledger.loan_payment.linked"
    entity_type = "loan"
    entity_id_field = "loan_id"

    loan_id: UUID
    installment: int
    transaction_id: UUID


class HoldingCreated(EventPayload):
    """A user added an asset or a liability."""

    event_type = "ledger.holding.created"
    entity_type = "holding"
    entity_id_field = "holding_id"

    holding_id: UUID
    side: Literal["asset", "liability"]
    kind: str
    name: str
    currency: CurrencyCode


class HoldingValued(EventPayload):
    """A user recorded what an asset is worth, or what a liability owes, on a day."""

    event_type = "ledger.holding.valued"
    entity_type = "holding"
    entity_id_field = "holding_id"

    holding_id: UUID
    valued_on: date
    value: DecimalString
    currency: CurrencyCode
    changes: dict[str, FieldChange] = Field(default_factory=dict)


class HoldingClosed(EventPayload):
    """A user closed an asset or a liability: from that day on it no longer counts."""

    event_type = "ledger.holding.closed"
    entity_type = "holding"
    entity_id_field = "holding_id"

    holding_id: UUID
    closed_on: date
    reason: str
    changes: dict[str, FieldChange] = Field(default_factory=dict)


SPECS = [
    EventSpec(TransactionRecorded, "ledger", ("audit",)),
    EventSpec(TransactionsBooked, "ledger", ("audit", "gateway")),
    EventSpec(PaymentMatched, "ledger", ("invoicing", "audit", "gateway")),
    EventSpec(PaymentUnmatched, "ledger", ("invoicing", "audit", "gateway")),
    EventSpec(TransactionCorrected, "ledger", ("audit", "gateway")),
    EventSpec(TransactionUpdated, "ledger", ("audit",)),
    EventSpec(MatchSuggestionRejected, "ledger", ("audit",)),
    EventSpec(AccountCreated, "ledger", ("audit",)),
    EventSpec(AccountUpdated, "ledger", ("audit",)),
    EventSpec(CategoryCreated, "ledger", ("audit",)),
    EventSpec(CategoryRuleCreated, "ledger", ("audit",)),
    EventSpec(LoanCreated, "ledger", ("audit",)),
    EventSpec(LoanPaymentLinked, "ledger", ("audit",)),
    EventSpec(HoldingCreated, "ledger", ("audit",)),
    EventSpec(HoldingValued, "ledger", ("audit",)),
    EventSpec(HoldingClosed, "ledger", ("audit",)),
]
