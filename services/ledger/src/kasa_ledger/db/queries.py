"""Reads shared by routes and consumers: derived amounts of transactions, workspace locks."""

import hashlib
from collections import defaultdict
from collections.abc import Sequence
from decimal import Decimal
from uuid import UUID

from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from kasa_ledger.db.tables import Invoice, PaymentMatch, Transaction
from kasa_ledger.domain.corrections import Adjustment, effective_amount


async def lock_matching(session: AsyncSession, workspace_id: UUID) -> None:
    """Serialize payment matching within one workspace until the transaction ends.

    A payment and its invoice can arrive at the same moment on two queues; each handler would
    miss the other's uncommitted row. Holding this lock while matching makes the second one see
    the first. SQLite already allows a single writer, so only PostgreSQL needs it.
    """
    if session.get_bind().dialect.name != "postgresql":
        return
    held: set[UUID] = session.sync_session.info.setdefault("kasa_ledger_locks", set())
    if workspace_id in held:
        return
    held.add(workspace_id)
    key = int.from_bytes(hashlib.blake2b(workspace_id.bytes, digest_size=8).digest(), "big")
    await session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key - (1 << 63)})


async def adjustments_of(
    session: AsyncSession, ids: Sequence[UUID]
) -> dict[UUID, list[Adjustment]]:
    """The correction and reversal entries linked to each of these transactions."""
    found: dict[UUID, list[Adjustment]] = defaultdict(list)
    if not ids:
        return found
    rows = await session.execute(
        select(
            Transaction.adjusts_id, Transaction.kind, Transaction.type, Transaction.amount
        ).where(Transaction.adjusts_id.in_(ids))
    )
    for adjusts_id, kind, type_, amount in rows:
        found[adjusts_id].append(Adjustment(kind=kind, type=type_, amount=amount))
    return found


async def active_matches(
    session: AsyncSession, transaction_ids: Sequence[UUID]
) -> dict[UUID, list[PaymentMatch]]:
    found: dict[UUID, list[PaymentMatch]] = defaultdict(list)
    if not transaction_ids:
        return found
    rows = await session.scalars(
        select(PaymentMatch)
        .where(
            PaymentMatch.transaction_id.in_(transaction_ids),
            PaymentMatch.unmatched_at.is_(None),
        )
        .order_by(PaymentMatch.id)
    )
    for match in rows:
        found[match.transaction_id].append(match)
    return found


async def open_amount(session: AsyncSession, tx: Transaction) -> Decimal:
    """What of an income transaction is not yet applied to invoices."""
    adjustments = (await adjustments_of(session, [tx.id]))[tx.id]
    matched = await session.scalar(
        select(func.coalesce(func.sum(PaymentMatch.amount), 0)).where(
            PaymentMatch.transaction_id == tx.id, PaymentMatch.unmatched_at.is_(None)
        )
    )
    return effective_amount(tx.type, tx.amount, adjustments) - Decimal(matched or 0)


async def matched_on_invoices(
    session: AsyncSession, invoice_ids: Sequence[UUID]
) -> dict[UUID, Decimal]:
    """How much matched payments cover on each invoice."""
    if not invoice_ids:
        return {}
    rows = await session.execute(
        select(PaymentMatch.invoice_id, func.sum(PaymentMatch.amount))
        .where(PaymentMatch.invoice_id.in_(invoice_ids), PaymentMatch.unmatched_at.is_(None))
        .group_by(PaymentMatch.invoice_id)
    )
    return {invoice_id: Decimal(total) for invoice_id, total in rows}


async def invoice_in_workspace(
    session: AsyncSession, workspace_id: UUID, invoice_id: UUID
) -> Invoice | None:
    return await session.scalar(
        select(Invoice).where(Invoice.id == invoice_id, Invoice.workspace_id == workspace_id)
    )


async def transaction_in_workspace(
    session: AsyncSession, workspace_id: UUID, transaction_id: UUID, *, for_update: bool = False
) -> Transaction | None:
    stmt = select(Transaction).where(
        Transaction.id == transaction_id, Transaction.workspace_id == workspace_id
    )
    if for_update:
        stmt = stmt.with_for_update()
    return await session.scalar(stmt)
