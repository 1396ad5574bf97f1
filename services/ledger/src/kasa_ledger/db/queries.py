"""Reads shared by the use cases: workspace-scoped lookups, derived amounts, workspace locks."""

import hashlib
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, TypeVar
from uuid import UUID

from sqlalchemy import (
    CompoundSelect,
    Select,
    String,
    bindparam,
    cast,
    func,
    literal,
    null,
    select,
    text,
    union_all,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import BindParameter

from kasa_ledger.db.tables import Category, CategoryRule, Invoice, PaymentMatch, Transaction
from kasa_ledger.domain.categorizing import Rule
from kasa_ledger.domain.corrections import Adjustment, effective_amount

M = TypeVar("M")


async def in_workspace(
    session: AsyncSession, model: type[M], record_id: UUID, workspace_id: UUID
) -> M | None:
    """The record with this id in this workspace; None also when it is another workspace's."""
    stmt: Select[M] = select(model).where(
        model.id == record_id,  # type: ignore[attr-defined]
        model.workspace_id == workspace_id,  # type: ignore[attr-defined]
    )
    return await session.scalar(stmt)


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


_RULES = "kasa_ledger_rules"


async def rules_of(session: AsyncSession, workspace_id: UUID) -> list[Rule]:
    """The workspace's category rules in the order they are tried.

    Read once per transaction and workspace: a batch of imports sees one set of rules.
    """
    known: dict[UUID, list[Rule]] = session.sync_session.info.setdefault(_RULES, {})
    if workspace_id in known:
        return known[workspace_id]
    rows = await session.execute(
        select(CategoryRule, Category.name)
        .join(Category, Category.id == CategoryRule.category_id)
        .where(CategoryRule.workspace_id == workspace_id)
        .order_by(CategoryRule.priority, CategoryRule.id)
    )
    known[workspace_id] = [
        Rule(
            id=rule.id,
            category=name,
            priority=rule.priority,
            counterparty_contains=rule.counterparty_contains,
            description_contains=rule.description_contains,
            direction=rule.direction,
            currency=rule.currency,
            min_amount=rule.min_amount,
            max_amount=rule.max_amount,
        )
        for rule, name in rows
    ]
    return known[workspace_id]


@dataclass(frozen=True)
class Paid:
    """An active payment of an entry to an invoice."""

    id: UUID
    invoice_id: UUID
    amount: Decimal
    reason: str


def _linked_query() -> CompoundSelect[Any]:
    ids: BindParameter[list[UUID]] = bindparam("ids", expanding=True)
    payments = select(
        literal("payment", String).label("link"),
        PaymentMatch.transaction_id.label("entry_id"),
        PaymentMatch.id.label("match_id"),
        PaymentMatch.invoice_id,
        PaymentMatch.reason,
        PaymentMatch.amount,
        cast(null(), Transaction.kind.type).label("kind"),
        cast(null(), Transaction.type.type).label("type"),
    ).where(PaymentMatch.transaction_id.in_(ids), PaymentMatch.unmatched_at.is_(None))
    corrections = select(
        literal("correction", String),
        Transaction.adjusts_id,
        cast(null(), PaymentMatch.id.type),
        cast(null(), PaymentMatch.invoice_id.type),
        cast(null(), PaymentMatch.reason.type),
        Transaction.amount,
        Transaction.kind,
        Transaction.type,
    ).where(Transaction.adjusts_id.in_(ids))
    # Column types (UUIDs, exact money) come from the first select of the union.
    return union_all(payments, corrections).order_by(text("link"), text("match_id"))


# Built once: making the statement per page cost more than running it.
_LINKED = _linked_query()


async def linked(
    session: AsyncSession, ids: Sequence[UUID]
) -> tuple[dict[UUID, list[Adjustment]], dict[UUID, list[Paid]]]:
    """The corrections and active invoice payments of these entries, in one round trip.

    A page of entries is otherwise three queries; each costs more in driver round trips than
    in SQL, and most entries have neither.
    """
    adjustments: dict[UUID, list[Adjustment]] = defaultdict(list)
    paid: dict[UUID, list[Paid]] = defaultdict(list)
    if not ids:
        return adjustments, paid
    rows = await session.execute(_LINKED, {"ids": list(ids)})
    for link, entry_id, match_id, invoice_id, reason, amount, kind, type_ in rows:
        if link == "payment":
            paid[entry_id].append(Paid(match_id, invoice_id, amount, reason))
        else:
            adjustments[entry_id].append(Adjustment(kind=kind, type=type_, amount=amount))
    return adjustments, paid
