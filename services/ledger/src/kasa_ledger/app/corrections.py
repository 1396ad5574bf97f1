"""Corrections and voids: booked money changes only through linked entries, never in place."""

from decimal import Decimal
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kasa_ledger.app.matching import active_matches_of, unmatch
from kasa_ledger.db import day_totals
from kasa_ledger.db.queries import adjustments_of, lock_matching, transaction_in_workspace
from kasa_ledger.db.tables import PaymentMatch, Transaction
from kasa_ledger.domain.corrections import (
    Entry,
    Kind,
    adjustment_row,
    check_correctable,
    check_lowering,
    corrected,
    correction_entry,
    effective_amount,
    reversal_entry,
)
from kasa_ledger.domain.errors import NotFound
from kasa_servicekit.auth import Principal
from kasa_servicekit.db import utcnow
from kasa_servicekit.events import EventWriter, Origin
from kasa_servicekit.ids import new_id


async def book_adjustment(
    session: AsyncSession,
    original: Transaction,
    entry: Entry,
    *,
    kind: Kind,
    reason: str | None,
    source: str,
    origin: Origin,
    events: EventWriter,
) -> Transaction:
    """Book a correction or reversal linked to ``original`` and publish ``corrected``."""
    before = (await adjustments_of(session, [original.id]))[original.id]
    row = adjustment_row(
        original,
        entry,
        kind=kind,
        reason=reason,
        source=source,
        adjustment_id=new_id(),
        created_at=utcnow(),
        recorded_by=origin.actor.model_dump(mode="json"),
    )
    adjustment = Transaction(**row)
    session.add(adjustment)
    await session.flush()
    await day_totals.add(session, [row])
    await events.write(session, corrected(original, row, kind=kind, before=before), on=origin)
    return adjustment


async def _original(
    session: AsyncSession, principal: Principal, transaction_id: UUID
) -> tuple[Transaction, Decimal]:
    """The entry to adjust, locked, and its effective amount now."""
    await lock_matching(session, principal.workspace_id)
    tx = await transaction_in_workspace(
        session, principal.workspace_id, transaction_id, for_update=True
    )
    if tx is None:
        raise NotFound("transaction")
    adjustments = (await adjustments_of(session, [tx.id]))[tx.id]
    check_correctable(tx.kind, adjustments)
    return tx, effective_amount(tx.type, tx.amount, adjustments)


async def correct(
    session: AsyncSession,
    principal: Principal,
    transaction_id: UUID,
    amount: Decimal,
    reason: str,
    events: EventWriter,
) -> tuple[Transaction, Transaction]:
    """Book the difference to ``amount`` as an adjustment; the entry and the adjustment."""
    tx, current = await _original(session, principal, transaction_id)
    matched = sum(
        await session.scalars(
            select(PaymentMatch.amount).where(
                PaymentMatch.transaction_id == tx.id, PaymentMatch.unmatched_at.is_(None)
            )
        ),
        Decimal(0),
    )
    check_lowering(amount, matched)
    adjustment = await book_adjustment(
        session,
        tx,
        correction_entry(tx.type, current, amount),
        kind="correction",
        reason=reason,
        source="manual",
        origin=principal,
        events=events,
    )
    await session.refresh(tx)
    return tx, adjustment


async def void(
    session: AsyncSession,
    principal: Principal,
    transaction_id: UUID,
    reason: str,
    events: EventWriter,
) -> tuple[Transaction, Transaction]:
    """Book a reversing entry; invoice payments made by the transaction are undone first."""
    tx, current = await _original(session, principal, transaction_id)
    for payment in await active_matches_of(session, tx.id):
        await unmatch(session, payment, principal, events)
    adjustment = await book_adjustment(
        session,
        tx,
        reversal_entry(tx.type, current),
        kind="void",
        reason=reason,
        source="manual",
        origin=principal,
        events=events,
    )
    await session.refresh(tx)
    return tx, adjustment
