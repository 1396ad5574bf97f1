"""Reading booked transactions with what they mean now, and editing their metadata."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any
from uuid import UUID

from sqlalchemy import Select, and_, exists, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from kasa_contracts.changes import diff
from kasa_contracts.events.ledger import TransactionUpdated
from kasa_ledger.db import day_totals
from kasa_ledger.db.queries import Paid, linked, transaction_in_workspace
from kasa_ledger.db.tables import PaymentMatch, Transaction
from kasa_ledger.domain.booking import editable
from kasa_ledger.domain.corrections import Adjustment, effective_amount, is_voided
from kasa_ledger.domain.errors import NotFound
from kasa_servicekit.auth import Principal
from kasa_servicekit.events import EventWriter


@dataclass(frozen=True)
class Entry:
    """A booked row with its corrections and the invoices it pays."""

    row: Transaction
    adjustments: list[Adjustment]
    paid: list[Paid]

    @property
    def effective_amount(self) -> Decimal:
        return effective_amount(self.row.type, self.row.amount, self.adjustments)

    @property
    def voided(self) -> bool:
        return is_voided(self.adjustments)

    @property
    def matched_amount(self) -> Decimal:
        return sum((m.amount for m in self.paid), Decimal(0))


@dataclass(frozen=True)
class Filters:
    """What a user looks for among the workspace's transactions; None means any."""

    from_: date | None = None
    to: date | None = None
    type: str | None = None
    source: str | None = None
    account_id: UUID | None = None
    category: str | None = None
    unmatched: bool | None = None
    """True: income entries not applied to any invoice; False: applied."""
    q: str | None = None
    """Text in description, counterparty, reference, notes, symbol or counterparty account."""
    kind: str | None = None
    """``entry`` for the money movements themselves, without their adjustments and reversals."""
    sync_id: UUID | None = None


def listing(workspace_id: UUID, filters: Filters) -> Select[tuple[Transaction]]:
    """The workspace's transactions that fit ``filters``, as a query to page through."""
    stmt = select(Transaction).where(Transaction.workspace_id == workspace_id)
    if filters.from_:
        stmt = stmt.where(Transaction.transacted_on >= filters.from_)
    if filters.to:
        stmt = stmt.where(Transaction.transacted_on <= filters.to)
    if filters.type:
        stmt = stmt.where(Transaction.type == filters.type)
    if filters.source:
        stmt = stmt.where(Transaction.source == filters.source)
    if filters.account_id:
        stmt = stmt.where(Transaction.account_id == filters.account_id)
    if filters.category:
        stmt = stmt.where(Transaction.category == filters.category)
    if filters.kind:
        stmt = stmt.where(Transaction.kind == filters.kind)
    if filters.sync_id:
        stmt = stmt.where(Transaction.sync_id == filters.sync_id)
    if filters.unmatched is not None:
        applied = exists().where(
            PaymentMatch.transaction_id == Transaction.id, PaymentMatch.unmatched_at.is_(None)
        )
        stmt = stmt.where(
            and_(Transaction.type == "income", Transaction.kind == "entry", ~applied)
            if filters.unmatched
            else applied
        )
    if filters.q:
        pattern = f"%{filters.q.lower()}%"
        searched = (
            Transaction.description,
            Transaction.counterparty,
            Transaction.reference,
            Transaction.notes,
            Transaction.variable_symbol,
            Transaction.constant_symbol,
            Transaction.specific_symbol,
            Transaction.counterparty_account,
        )
        stmt = stmt.where(or_(*(func.lower(column).like(pattern) for column in searched)))
    return stmt


async def entries(session: AsyncSession, rows: Sequence[Transaction]) -> list[Entry]:
    """These rows with their corrections and invoice payments."""
    adjustments, paid = await linked(session, [r.id for r in rows])
    return [Entry(row, adjustments.get(row.id, []), paid.get(row.id, [])) for row in rows]


async def entry(session: AsyncSession, workspace_id: UUID, transaction_id: UUID) -> Entry:
    row = await transaction_in_workspace(session, workspace_id, transaction_id)
    if row is None:
        raise NotFound("transaction")
    [found] = await entries(session, [row])
    return found


async def corrections_of(session: AsyncSession, entry_id: UUID) -> list[Transaction]:
    """The adjustments and reversals booked against an entry, oldest first."""
    rows = await session.scalars(
        select(Transaction)
        .where(Transaction.adjusts_id == entry_id)
        .order_by(Transaction.created_at, Transaction.id)
    )
    return list(rows)


async def edit_metadata(
    session: AsyncSession,
    principal: Principal,
    transaction_id: UUID,
    changes: Mapping[str, Any],
    events: EventWriter,
) -> Entry:
    """Change a transaction's category, notes or tags; booked money never changes here."""
    tx = await transaction_in_workspace(
        session, principal.workspace_id, transaction_id, for_update=True
    )
    if tx is None:
        raise NotFound("transaction")
    before = editable(tx)
    category_before = tx.category
    for name, value in changes.items():
        setattr(tx, name, list(value or []) if name == "tags" else value)
    if "category" in changes:
        # A hand-set (or hand-cleared) category is never overwritten by a rule.
        tx.category_set_by = "user"
    changed = diff(before, editable(tx))
    await day_totals.recategorize(session, [(tx, category_before)])
    if changed:
        await events.write(
            session, TransactionUpdated(transaction_id=tx.id, changes=changed), on=principal
        )
    await session.flush()
    [found] = await entries(session, [tx])
    return found
