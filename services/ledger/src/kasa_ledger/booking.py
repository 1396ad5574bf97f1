"""Booking money: new transactions from imports and from users, with their accounts and events."""

from collections import OrderedDict
from decimal import Decimal
from typing import Any, Literal
from uuid import UUID

from sqlalchemy import event, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from kasa_contracts import Actor, Envelope
from kasa_contracts.changes import diff
from kasa_contracts.events.integrations import BankAccountRef, TransactionImported
from kasa_contracts.events.ledger import (
    AccountCreated,
    TransactionCorrected,
    TransactionRecorded,
)
from kasa_ledger.categorizing import rules_of
from kasa_ledger.db.queries import adjustments_of
from kasa_ledger.db.snapshots import plain
from kasa_ledger.db.tables import Account, Transaction
from kasa_ledger.domain.categorizing import Facts, categorize
from kasa_ledger.domain.corrections import Entry, effective_amount, is_voided
from kasa_ledger.domain.matching import normalize_symbol
from kasa_servicekit.db import insert_if_absent, utcnow
from kasa_servicekit.ids import new_id
from kasa_servicekit.money import at_currency_precision
from kasa_servicekit.outbox import add_events, make_envelope

NATURAL_KEY = ["workspace_id", "source", "external_id"]


def bank_ref(account: BankAccountRef) -> str:
    """How the ledger tells bank accounts apart: IBAN, else domestic number, else provider id."""
    return account.iban or account.account_number or f"provider:{account.provider_account_id}"


_known_accounts: OrderedDict[tuple[str, UUID, str, str], UUID] = OrderedDict()
_KNOWN_ACCOUNTS_MAX = 10_000
_SEEN = "kasa_ledger_accounts_seen"


@event.listens_for(Session, "after_commit")
def _remember_committed_accounts(session: Session) -> None:
    # Only ids from a committed transaction are remembered: a rolled-back batch may have
    # created (and looked up) an account that does not exist after all.
    for key, account_id in session.info.pop(_SEEN, {}).items():
        _known_accounts[key] = account_id
        if len(_known_accounts) > _KNOWN_ACCOUNTS_MAX:
            _known_accounts.popitem(last=False)


@event.listens_for(Session, "after_rollback")
def _forget_uncommitted_accounts(session: Session) -> None:
    session.info.pop(_SEEN, None)


async def bank_account_id(
    session: AsyncSession, workspace_id: UUID, ref: BankAccountRef, actor: Actor
) -> UUID:
    """The ledger account for a bank account named in an import, created on first sight.

    Every import names its account, so ids are remembered (per database) once the
    transaction that saw them commits: accounts are never deleted, so a committed id stays right.
    """
    key = bank_ref(ref)
    cache_key = (str(session.get_bind().engine.url), workspace_id, key, ref.currency)
    if (known := _known_accounts.get(cache_key)) is not None:
        _known_accounts.move_to_end(cache_key)
        return known
    lookup = select(Account.id).where(
        Account.workspace_id == workspace_id,
        Account.bank_ref == key,
        Account.currency == ref.currency,
    )
    account_id = await session.scalar(lookup)
    if account_id is not None:
        session.sync_session.info.setdefault(_SEEN, {})[cache_key] = account_id
        return account_id
    row = {
        "id": new_id(),
        "workspace_id": workspace_id,
        "name": ref.iban or ref.account_number or ref.provider_account_id,
        "kind": "bank",
        "bank_ref": key,
        "iban": ref.iban,
        "account_number": ref.account_number,
        "currency": ref.currency,
        "opening_balance": Decimal(0),
        "opening_date": None,
        "created_at": utcnow(),
    }
    if await insert_if_absent(
        session, Account.__table__, row, ["workspace_id", "bank_ref", "currency"]
    ):
        await add_events(session, [account_created(row, actor)])
    # Inserted now, or by a concurrent import a moment ago: either way it exists.
    account_id = await session.scalar(lookup)
    assert account_id is not None
    return account_id


def account_created(row: dict[str, Any], actor: Actor) -> Envelope[Any]:
    """The ``account.created`` event of a new account row."""
    shown = (
        "name",
        "kind",
        "currency",
        "iban",
        "account_number",
        "opening_balance",
        "opening_date",
    )
    payload = AccountCreated(
        account_id=row["id"],
        name=row["name"],
        kind=row["kind"],
        currency=row["currency"],
        changes=diff(None, {name: plain(row[name]) for name in shown}),
    )
    return make_envelope(payload, producer="ledger", workspace_id=row["workspace_id"], actor=actor)


def imported_row(workspace_id: UUID, imported: TransactionImported) -> dict[str, Any]:
    """The columns of a transaction as a bank reported it."""
    return {
        "workspace_id": workspace_id,
        "source": imported.plugin,
        "external_id": imported.external_id,
        "type": imported.direction,
        "amount": imported.amount,
        "currency": imported.currency,
        "transacted_on": imported.booking_date,
        "value_date": imported.value_date,
        "description": imported.message,
        "counterparty": imported.counterparty_name,
        "counterparty_account": imported.counterparty_account,
        "reference": imported.reference,
        "variable_symbol": imported.variable_symbol,
        "vs_normalized": normalize_symbol(imported.variable_symbol),
        "constant_symbol": imported.constant_symbol,
        "specific_symbol": imported.specific_symbol,
        "account_ref": imported.account.iban or imported.account.account_number,
        "raw_data": imported.raw,
    }


async def entry_values(
    session: AsyncSession, row: dict[str, Any], *, workspace_id: UUID
) -> dict[str, Any]:
    """The full row of a new entry: a fresh id, and the category the workspace's rules give."""
    values = {"id": new_id(), "kind": "entry", "created_at": utcnow(), **row}
    values["workspace_id"] = workspace_id
    if values.get("category_set_by") != "user":
        rules = await rules_of(session, workspace_id)
        facts = Facts(
            type=values["type"],
            amount=values["amount"],
            currency=values["currency"],
            counterparty=values.get("counterparty"),
            description=values.get("description"),
        )
        if category := categorize(facts, rules):
            values["category"], values["category_set_by"] = category, "rule"
    return values


def transaction_recorded(
    values: dict[str, Any],
    actor: Actor,
    *,
    correlation_id: str | None = None,
    causation_id: UUID | None = None,
) -> Envelope[Any]:
    """The ``transaction.recorded`` event of a newly booked entry."""
    recorded = TransactionRecorded(
        transaction_id=values["id"],
        source=values["source"],
        external_id=values.get("external_id"),
        type=values["type"],
        amount=values["amount"],
        currency=values["currency"],
        transacted_on=values["transacted_on"],
        category=values.get("category"),
    )
    return make_envelope(
        recorded,
        producer="ledger",
        workspace_id=values["workspace_id"],
        actor=actor,
        correlation_id=correlation_id,
        causation_id=causation_id,
    )


async def book(
    session: AsyncSession, row: dict[str, Any], actor: Actor, *, workspace_id: UUID
) -> Transaction | None:
    """Insert a transaction and its ``recorded`` event; None when its natural key exists."""
    values = await entry_values(session, row, workspace_id=workspace_id)
    if not await insert_if_absent(session, Transaction.__table__, values, NATURAL_KEY):
        return None
    await add_events(session, [transaction_recorded(values, actor)])
    # The row as written; not added to the session, so nothing is flushed twice.
    return Transaction(**values)


async def book_adjustment(
    session: AsyncSession,
    original: Transaction,
    entry: Entry,
    *,
    kind: Literal["correction", "void"],
    reason: str | None,
    source: str,
    actor: Actor,
) -> Transaction:
    """Book a correction or reversal linked to ``original`` and publish ``corrected``."""
    before_adjustments = (await adjustments_of(session, [original.id]))[original.id]
    before = effective_amount(original.type, original.amount, before_adjustments)
    adjustment = Transaction(
        id=new_id(),
        workspace_id=original.workspace_id,
        source=source,
        external_id=None,
        type=entry.type,
        amount=entry.amount,
        currency=original.currency,
        transacted_on=original.transacted_on,
        value_date=original.value_date,
        description=reason,
        counterparty=original.counterparty,
        counterparty_account=original.counterparty_account,
        account_ref=original.account_ref,
        account_id=original.account_id,
        category=original.category,
        category_set_by=original.category_set_by,
        kind="reversal" if kind == "void" else "adjustment",
        adjusts_id=original.id,
        raw_data={},
        created_at=utcnow(),
    )
    session.add(adjustment)
    await session.flush()
    after_adjustments = (await adjustments_of(session, [original.id]))[original.id]
    after = effective_amount(original.type, original.amount, after_adjustments)
    currency = original.currency
    changes = diff(
        {
            "amount": plain(at_currency_precision(before, currency)),
            "voided": is_voided(before_adjustments),
        },
        {
            "amount": plain(at_currency_precision(after, currency)),
            "voided": is_voided(after_adjustments),
        },
    )
    corrected = TransactionCorrected(
        transaction_id=original.id,
        adjustment_id=adjustment.id,
        kind=kind,
        type=entry.type,
        amount=entry.amount,
        currency=original.currency,
        reason=reason,
        changes=changes,
    )
    envelope = make_envelope(
        corrected, producer="ledger", workspace_id=original.workspace_id, actor=actor
    )
    await add_events(session, [envelope])
    return adjustment
