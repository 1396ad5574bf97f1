"""Booking money: imports one by one and in set-based batches, restatements, manual entries.

The one-by-one and the batch paths book by the same ``domain.booking`` rules (the row, its
category, the ``recorded`` event, whether matching should look at it) and write entries through
the same ``db.entries.insert_entries``; the batch does each step once for a whole run.
"""

from collections import OrderedDict
from collections.abc import Mapping, Sequence
from typing import Any
from uuid import UUID

from opentelemetry.context import Context
from sqlalchemy import event, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from kasa_contracts import Envelope
from kasa_contracts.changes import diff
from kasa_contracts.events.integrations import BankAccountRef, TransactionImported
from kasa_contracts.events.integrations import TransactionUpdated as BankTransactionUpdated
from kasa_contracts.events.ledger import TransactionsBooked, TransactionUpdated
from kasa_ledger.app.corrections import book_adjustment
from kasa_ledger.app.matching import auto_match, invoiced_currencies
from kasa_ledger.db.entries import insert_entries
from kasa_ledger.db.queries import adjustments_of, in_workspace, lock_matching, rules_of
from kasa_ledger.db.tables import Account, Transaction
from kasa_ledger.domain.accounts import account_created, bank_account, bank_ref
from kasa_ledger.domain.booking import (
    RESTATED,
    Booking,
    described,
    external_key,
    imported_entry,
    imported_row,
    manual_row,
    new_entry,
)
from kasa_ledger.domain.corrections import effective_amount, is_voided, restatement_entry
from kasa_ledger.domain.errors import UnknownAccount
from kasa_servicekit import inbox
from kasa_servicekit.auth import Principal
from kasa_servicekit.consumers import handling
from kasa_servicekit.db import insert_if_absent, utcnow
from kasa_servicekit.events import EventWriter, Origin, Pending
from kasa_servicekit.ids import new_id

Delivered = tuple[Envelope[Any], Context]

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
    session: AsyncSession, origin: Origin, ref: BankAccountRef, events: EventWriter
) -> UUID:
    """The ledger account for a bank account named in an import, created on first sight.

    Every import names its account, so ids are remembered (per database) once the
    transaction that saw them commits: accounts are never deleted, so a committed id stays right.
    """
    workspace_id = origin.workspace_id
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
    row = bank_account(workspace_id, ref, account_id=new_id(), created_at=utcnow())
    if await insert_if_absent(
        session, Account.__table__, row, ["workspace_id", "bank_ref", "currency"]
    ):
        await events.write(session, account_created(row), on=origin)
    # Inserted now, or by a concurrent import a moment ago: either way it exists.
    account_id = await session.scalar(lookup)
    assert account_id is not None
    return account_id


async def _imported(
    session: AsyncSession,
    event: Envelope[Any],
    imported: TransactionImported,
    events: EventWriter,
) -> Booking:
    account_id = await bank_account_id(session, event, imported.account, events)
    rules = await rules_of(session, event.workspace_id)
    return imported_entry(
        event.workspace_id, imported, account_id, rules, entry_id=new_id(), created_at=utcnow()
    )


async def book(
    session: AsyncSession, booking: Booking, origin: Origin, events: EventWriter
) -> Transaction | None:
    """Write an entry and its ``recorded`` event; None when its natural key is booked."""
    if not await insert_entries(session, [booking.values]):
        return None
    notice = TransactionsBooked(count=1, last_transaction_id=booking.id)
    await events.write(session, booking.recorded, notice, on=origin)
    # The row as written; not added to the session, so nothing is flushed twice.
    return Transaction(**booking.values)


async def book_imported(
    session: AsyncSession, event: Envelope[TransactionImported], events: EventWriter
) -> None:
    """Book a bank's movement on its account and match it to the invoice it pays."""
    booking = await _imported(session, event, event.payload, events)
    tx = await book(session, booking, event, events)
    if tx is not None:
        await auto_match(session, tx, events)


async def book_imports(
    session: AsyncSession,
    consumer: str,
    delivered: Sequence[Delivered],
    events: EventWriter,
) -> set[UUID]:
    """Claim and book a run of ``TransactionImported`` at once; the ids applied now.

    As ``book_imported`` would book each one, with set-based statements: one inbox claim for
    the run, one lookup per distinct bank account, the rules read once, one multi-row insert
    of the entries, and matching only for those booked now that an invoice could take.
    """
    first_of: dict[UUID, Delivered] = {}
    for envelope, trace_context in delivered:
        first_of.setdefault(envelope.event_id, (envelope, trace_context))
    claimed = await inbox.claim_many(session, consumer, first_of)

    accounts: dict[tuple[UUID, str, str], UUID] = {}
    bookings: dict[tuple[Any, ...], tuple[Booking, Delivered]] = {}
    for event_id, (envelope, trace_context) in first_of.items():
        if event_id not in claimed:
            continue
        imported: TransactionImported = envelope.payload
        account = (envelope.workspace_id, bank_ref(imported.account), imported.account.currency)
        if account not in accounts:
            # A new account's ``account.created`` follows the first event that named it.
            with handling(envelope, trace_context):
                accounts[account] = await bank_account_id(
                    session, envelope, imported.account, events
                )
        rules = await rules_of(session, envelope.workspace_id)
        booking = imported_entry(
            envelope.workspace_id,
            imported,
            accounts[account],
            rules,
            entry_id=new_id(),
            created_at=utcnow(),
        )
        # The same movement twice in a run is booked once, from its first event, as one by
        # one would book it; the later event is still applied (and acked) as a no-op.
        bookings.setdefault(booking.key, (booking, (envelope, trace_context)))
    if not bookings:
        return claimed

    inserted = await insert_entries(session, [b.values for b, _ in bookings.values()])
    booked = [(b, cause) for b, cause in bookings.values() if b.id in inserted]
    # Each recorded event continues the bank event that caused it: its correlation and trace.
    # Live views get one notice per workspace for the whole run.
    last: dict[UUID, tuple[Booking, Delivered, int]] = {}
    for b, cause in booked:
        count = last[cause[0].workspace_id][2] if cause[0].workspace_id in last else 0
        last[cause[0].workspace_id] = (b, cause, count + 1)
    notices = [
        Pending(TransactionsBooked(count=n, last_transaction_id=b.id), envelope, trace)
        for b, (envelope, trace), n in last.values()
    ]
    await events.write_all(
        session,
        [*(Pending(b.recorded, envelope, trace) for b, (envelope, trace) in booked), *notices],
    )

    payments = [(Transaction(**b.values), cause) for b, cause in booked if b.matchable]
    invoiced = await invoiced_currencies(session, [tx for tx, _ in payments])
    for tx, (envelope, trace_context) in payments:
        if (tx.workspace_id, tx.currency) in invoiced:
            with handling(envelope, trace_context):
                await auto_match(session, tx, events)
    return claimed


async def restate(
    session: AsyncSession, event: Envelope[BankTransactionUpdated], events: EventWriter
) -> None:
    """The bank restated a movement it reported before.

    Descriptive fields follow the bank. Money does not change in place: a different amount or
    direction is booked as an adjustment linked to the original entry. A changed booking date
    or currency is not applied (the entry keeps what was booked); the bank's full record is
    kept in ``raw_data``.
    """
    updated = event.payload
    await lock_matching(session, event.workspace_id)
    tx = await session.scalar(
        select(Transaction)
        .where(
            Transaction.workspace_id == event.workspace_id,
            Transaction.source == updated.plugin,
            Transaction.external_id == external_key(updated.external_id),
        )
        .with_for_update()
    )
    if tx is None:
        # The update overtook the import (or the import was lost): book it as it is now.
        booked = await book(
            session, await _imported(session, event, updated, events), event, events
        )
        if booked is not None:
            await auto_match(session, booked, events)
        return

    row = imported_row(event.workspace_id, updated)
    before = described(tx)
    for name in RESTATED:
        setattr(tx, name, row[name])
    changes = diff(before, described(tx))
    if changes:
        await events.write(
            session, TransactionUpdated(transaction_id=tx.id, changes=changes), on=event
        )
    adjustments = (await adjustments_of(session, [tx.id]))[tx.id]
    if not is_voided(adjustments) and updated.currency == tx.currency:
        current = effective_amount(tx.type, tx.amount, adjustments)
        entry = restatement_entry(tx.type, current, updated.direction, updated.amount)
        if entry is not None:
            await book_adjustment(
                session,
                tx,
                entry,
                kind="correction",
                reason="restated by the bank",
                source=updated.plugin,
                origin=event,
                events=events,
            )
    await auto_match(session, tx, events)


async def book_manual(
    session: AsyncSession, principal: Principal, fields: Mapping[str, Any], events: EventWriter
) -> Transaction:
    """Book money that moved outside any connected bank, and match it if it pays an invoice."""
    account_id = fields.get("account_id")
    if account_id is not None:
        if await in_workspace(session, Account, account_id, principal.workspace_id) is None:
            raise UnknownAccount()
    rules = await rules_of(session, principal.workspace_id)
    booking = new_entry(
        manual_row(principal.workspace_id, fields, principal.actor.model_dump(mode="json")),
        rules,
        entry_id=new_id(),
        created_at=utcnow(),
    )
    tx = await book(session, booking, principal, events)
    assert tx is not None, "manual entries have no natural key to collide on"
    await auto_match(session, tx, events)
    return tx
