"""Applying payments to invoices: automatic matches, a user's matches, undoing them, and the
suggestions a user decides.

Loads the facts, asks ``domain.matching``, writes the result. Every function runs inside the
caller's transaction and writes its events there, under the workspace's matching lock, so two
payments never take the same money and a payment and its invoice arriving together still meet.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from uuid import UUID

from sqlalchemy import Select, and_, func, literal, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from kasa_contracts.events.ledger import MatchSuggestionRejected, PaymentMatched, PaymentUnmatched
from kasa_ledger.db.queries import (
    invoice_in_workspace,
    lock_matching,
    matched_on_invoices,
    open_amount,
    transaction_in_workspace,
)
from kasa_ledger.db.tables import Invoice, MatchSuggestion, PaymentMatch, Transaction
from kasa_ledger.domain.errors import NotFound
from kasa_ledger.domain.matching import (
    APPLIED_AS,
    DUE_GRACE,
    MATCHER,
    MatchReason,
    OpenInvoice,
    Payment,
    amount_to_apply,
    can_pay,
    check_invoice_payable,
    check_manual_match,
    check_pending,
    decide,
    searched_amount,
)
from kasa_servicekit.auth import Principal
from kasa_servicekit.db import insert_if_absent, utcnow
from kasa_servicekit.events import At, EventWriter, Origin
from kasa_servicekit.ids import new_id


def _texts(tx: Transaction) -> tuple[str, ...]:
    return tuple(t for t in (tx.description, tx.reference) if t)


def matchable(tx: Transaction) -> bool:
    """Whether a transaction can pay invoices: only income entries can."""
    return can_pay(tx.type, tx.kind)


async def _facts(session: AsyncSession, invoices: list[Invoice]) -> list[OpenInvoice]:
    covered = await matched_on_invoices(session, [i.id for i in invoices])
    facts = []
    for inv in invoices:
        if inv.issued_at is None or inv.cancelled_at is not None:
            continue
        assert inv.total is not None and inv.currency and inv.issue_date and inv.due_date
        outstanding = inv.total - covered.get(inv.id, Decimal(0))
        facts.append(
            OpenInvoice(
                id=inv.id,
                number=inv.number,
                variable_symbol=inv.variable_symbol,
                client_id=inv.client_id,
                currency=inv.currency,
                outstanding=outstanding,
                issue_date=inv.issue_date,
                due_date=inv.due_date,
                settled=inv.paid_on is not None or outstanding <= 0,
            )
        )
    return facts


async def clients_paid_from(
    session: AsyncSession, workspace_id: UUID, counterparty_account: str | None
) -> frozenset[UUID]:
    """Clients whose invoices were paid before from this bank account."""
    if not counterparty_account:
        return frozenset()
    rows = await session.scalars(
        select(Invoice.client_id)
        .join(PaymentMatch, PaymentMatch.invoice_id == Invoice.id)
        .join(Transaction, Transaction.id == PaymentMatch.transaction_id)
        .where(
            PaymentMatch.workspace_id == workspace_id,
            PaymentMatch.unmatched_at.is_(None),
            Transaction.counterparty_account == counterparty_account,
            Invoice.client_id.is_not(None),
        )
        .distinct()
    )
    return frozenset(c for c in rows if c is not None)


async def _excluded(session: AsyncSession, tx: Transaction) -> frozenset[UUID]:
    """Invoices a user refused for this payment: rejected suggestions and undone matches."""
    rejected = await session.scalars(
        select(MatchSuggestion.invoice_id).where(
            MatchSuggestion.transaction_id == tx.id, MatchSuggestion.status == "rejected"
        )
    )
    undone = await session.scalars(
        select(PaymentMatch.invoice_id).where(
            PaymentMatch.transaction_id == tx.id, PaymentMatch.unmatched_at.is_not(None)
        )
    )
    return frozenset([*rejected, *undone])


async def _candidate_invoices(session: AsyncSession, tx: Transaction) -> list[Invoice]:
    """Invoices any rule could point at: a cheap superset that ``decide`` narrows down."""
    text = " ".join(_texts(tx)).lower()
    could_match = [Invoice.vs_normalized == tx.vs_normalized] if tx.vs_normalized else []
    if text:
        could_match.append(literal(text).contains(func.lower(Invoice.number)))
    if tx.counterparty_account:
        could_match.append(
            and_(
                Invoice.total == tx.amount,
                Invoice.issue_date <= tx.transacted_on,
                Invoice.due_date >= tx.transacted_on - DUE_GRACE,
            )
        )
    if not could_match:
        return []
    return list(
        await session.scalars(
            select(Invoice).where(
                Invoice.workspace_id == tx.workspace_id,
                Invoice.currency == tx.currency,
                Invoice.issued_at.is_not(None),
                Invoice.cancelled_at.is_(None),
                or_(*could_match),
            )
        )
    )


async def invoiced_currencies(
    session: AsyncSession, payments: Sequence[Transaction]
) -> set[tuple[UUID, str]]:
    """The (workspace, currency) pairs of these payments that any open invoice is in.

    A batch asks this once, so that ``auto_match`` runs only for payments some invoice could
    take. Each workspace's matching lock is taken first, as ``auto_match`` takes it: an
    invoice arriving meanwhile is either seen here or, after the commit, sees these payments.
    """
    pairs = {(tx.workspace_id, tx.currency) for tx in payments if matchable(tx)}
    if not pairs:
        return set()
    workspaces = sorted({workspace_id for workspace_id, _ in pairs})
    for workspace_id in workspaces:
        await lock_matching(session, workspace_id)
    rows = await session.execute(
        select(Invoice.workspace_id, Invoice.currency)
        .where(
            Invoice.workspace_id.in_(workspaces),
            Invoice.currency.in_({currency for _, currency in pairs}),
            Invoice.issued_at.is_not(None),
            Invoice.cancelled_at.is_(None),
        )
        .distinct()
    )
    return {(workspace_id, currency) for workspace_id, currency in rows} & pairs


async def auto_match(session: AsyncSession, tx: Transaction, events: EventWriter) -> None:
    """Match an income transaction if a rule is sure, else record suggestions."""
    if not matchable(tx):
        return
    await lock_matching(session, tx.workspace_id)
    candidates = await _candidate_invoices(session, tx)
    if not candidates:
        return
    remaining = await open_amount(session, tx)
    if remaining <= 0:
        return
    payment = Payment(
        id=tx.id,
        amount_open=remaining,
        currency=tx.currency,
        transacted_on=tx.transacted_on,
        variable_symbol=tx.variable_symbol,
        texts=_texts(tx),
        counterparty_account=tx.counterparty_account,
    )
    decisions = decide(
        payment,
        await _facts(session, candidates),
        clients_paid_from_account=await clients_paid_from(
            session, tx.workspace_id, tx.counterparty_account
        ),
        excluded=await _excluded(session, tx),
    )
    for decision in decisions:
        if decision.apply:
            invoice = next(i for i in candidates if i.id == decision.invoice_id)
            await apply_match(
                session,
                tx,
                invoice,
                remaining,
                APPLIED_AS[decision.reason],
                At(tx.workspace_id, MATCHER),
                events,
            )
        else:
            await insert_if_absent(
                session,
                MatchSuggestion.__table__,
                {
                    "id": new_id(),
                    "workspace_id": tx.workspace_id,
                    "transaction_id": tx.id,
                    "invoice_id": decision.invoice_id,
                    "reason": decision.reason,
                    "status": "pending",
                    "created_at": utcnow(),
                    "decided_at": None,
                },
                ["workspace_id", "transaction_id", "invoice_id"],
            )


async def apply_match(
    session: AsyncSession,
    tx: Transaction,
    invoice: Invoice,
    amount: Decimal,
    reason: MatchReason,
    origin: Origin,
    events: EventWriter,
) -> PaymentMatch:
    """Record ``amount`` of ``tx`` as paid on ``invoice`` and publish ``payment.matched``."""
    match = PaymentMatch(
        id=new_id(),
        workspace_id=tx.workspace_id,
        transaction_id=tx.id,
        invoice_id=invoice.id,
        amount=amount,
        currency=tx.currency,
        reason=reason,
        paid_on=tx.transacted_on,
        created_at=utcnow(),
        unmatched_at=None,
    )
    session.add(match)
    await session.flush()
    # A decided pair leaves the suggestion list, whatever the user does with the match later.
    await session.execute(
        update(MatchSuggestion)
        .where(
            MatchSuggestion.transaction_id == tx.id,
            MatchSuggestion.invoice_id == invoice.id,
            MatchSuggestion.status == "pending",
        )
        .values(status="accepted", decided_at=utcnow())
    )
    matched = PaymentMatched(
        match_id=match.id,
        invoice_id=invoice.id,
        transaction_id=tx.id,
        amount=amount,
        currency=tx.currency,
        paid_on=tx.transacted_on,
        reason=reason,
    )
    await events.write(session, matched, on=origin)
    return match


async def _match_by_hand(
    session: AsyncSession,
    principal: Principal,
    tx: Transaction,
    invoice_id: UUID,
    requested: Decimal | None,
    reason: MatchReason,
    events: EventWriter,
) -> PaymentMatch:
    invoice = await invoice_in_workspace(session, principal.workspace_id, invoice_id)
    check_invoice_payable(
        known=invoice is not None,
        issued=invoice is not None and invoice.issued_at is not None,
        cancelled=invoice is not None and invoice.cancelled_at is not None,
    )
    assert invoice is not None
    check_manual_match(tx.type, tx.kind, tx.currency, invoice.currency)
    await lock_matching(session, tx.workspace_id)
    amount = amount_to_apply(await open_amount(session, tx), requested)
    return await apply_match(session, tx, invoice, amount, reason, principal, events)


async def match(
    session: AsyncSession,
    principal: Principal,
    transaction_id: UUID,
    invoice_id: UUID,
    amount: Decimal | None,
    events: EventWriter,
) -> PaymentMatch:
    """A user applies a transaction (all that is left of it, or ``amount``) to an invoice."""
    await lock_matching(session, principal.workspace_id)
    tx = await transaction_in_workspace(
        session, principal.workspace_id, transaction_id, for_update=True
    )
    if tx is None:
        raise NotFound("transaction")
    return await _match_by_hand(session, principal, tx, invoice_id, amount, "manual", events)


async def unmatch(
    session: AsyncSession, match: PaymentMatch, origin: Origin, events: EventWriter
) -> None:
    """Take a payment off its invoice, keeping the row as history, and publish it."""
    await lock_matching(session, match.workspace_id)
    match.unmatched_at = utcnow()
    unmatched = PaymentUnmatched(
        match_id=match.id,
        invoice_id=match.invoice_id,
        transaction_id=match.transaction_id,
        amount=match.amount,
        currency=match.currency,
    )
    await events.write(session, unmatched, on=origin)


async def active_matches_of(session: AsyncSession, tx_id: UUID) -> list[PaymentMatch]:
    """The transaction's payments that are still on their invoices."""
    return list(
        await session.scalars(
            select(PaymentMatch).where(
                PaymentMatch.transaction_id == tx_id, PaymentMatch.unmatched_at.is_(None)
            )
        )
    )


async def unmatch_transaction(
    session: AsyncSession,
    principal: Principal,
    transaction_id: UUID,
    invoice_id: UUID | None,
    events: EventWriter,
) -> None:
    """A user takes the transaction's payments off their invoices (or off one invoice)."""
    tx = await transaction_in_workspace(session, principal.workspace_id, transaction_id)
    if tx is None:
        raise NotFound("transaction")
    found = [
        payment
        for payment in await active_matches_of(session, tx.id)
        if invoice_id is None or payment.invoice_id == invoice_id
    ]
    if not found:
        raise NotFound("match")
    for payment in found:
        await unmatch(session, payment, principal, events)


async def match_waiting_payments(
    session: AsyncSession, invoice: Invoice, events: EventWriter
) -> None:
    """Match payments that arrived before this invoice did."""
    if invoice.issued_at is None or invoice.cancelled_at is not None or not invoice.currency:
        return
    await lock_matching(session, invoice.workspace_id)
    number = invoice.number.lower()
    could_pay = [
        func.lower(func.coalesce(Transaction.description, "")).contains(number, autoescape=True),
        func.lower(func.coalesce(Transaction.reference, "")).contains(number, autoescape=True),
    ]
    if invoice.vs_normalized:
        could_pay.append(Transaction.vs_normalized == invoice.vs_normalized)
    if invoice.total is not None and invoice.issue_date and invoice.due_date:
        could_pay.append(
            and_(
                Transaction.amount == invoice.total,
                Transaction.counterparty_account.is_not(None),
                Transaction.transacted_on >= invoice.issue_date,
                Transaction.transacted_on <= invoice.due_date + DUE_GRACE,
            )
        )
    waiting = await session.scalars(
        select(Transaction)
        .where(
            Transaction.workspace_id == invoice.workspace_id,
            Transaction.type == "income",
            Transaction.kind == "entry",
            Transaction.currency == invoice.currency,
            or_(*could_pay),
        )
        .order_by(Transaction.transacted_on, Transaction.id)
    )
    for tx in list(waiting):
        await auto_match(session, tx, events)


def matches(
    workspace_id: UUID,
    invoice_id: UUID | None,
    transaction_id: UUID | None,
    include_undone: bool,
) -> Select[tuple[PaymentMatch]]:
    """The workspace's payments to invoices (undone ones too if asked), to page through."""
    stmt = select(PaymentMatch).where(PaymentMatch.workspace_id == workspace_id)
    if invoice_id:
        stmt = stmt.where(PaymentMatch.invoice_id == invoice_id)
    if transaction_id:
        stmt = stmt.where(PaymentMatch.transaction_id == transaction_id)
    if not include_undone:
        stmt = stmt.where(PaymentMatch.unmatched_at.is_(None))
    return stmt


@dataclass(frozen=True)
class InvoiceSearch:
    """What a user looks for among the invoices a payment could pay; None means any."""

    currency: str | None = None
    q: str | None = None
    """Part of the invoice number or the client's name, or the invoice's exact total."""


def open_invoices(workspace_id: UUID, search: InvoiceSearch) -> Select[tuple[Invoice]]:
    """Issued invoices that still expect money by the ledger's matches, to page through."""
    covered = (
        select(func.coalesce(func.sum(PaymentMatch.amount), 0))
        .where(PaymentMatch.invoice_id == Invoice.id, PaymentMatch.unmatched_at.is_(None))
        .scalar_subquery()
    )
    stmt = select(Invoice).where(
        Invoice.workspace_id == workspace_id,
        Invoice.issued_at.is_not(None),
        Invoice.cancelled_at.is_(None),
        Invoice.paid_on.is_(None),
        Invoice.total > covered,
    )
    if search.currency:
        stmt = stmt.where(Invoice.currency == search.currency)
    if search.q:
        text = search.q.strip().lower()
        found = [
            func.lower(Invoice.number).contains(text, autoescape=True),
            func.lower(func.coalesce(Invoice.client_name, "")).contains(text, autoescape=True),
        ]
        amount = searched_amount(text)
        if amount is not None:
            found.append(Invoice.total == amount)
        stmt = stmt.where(or_(*found))
    return stmt


async def outstanding_of(session: AsyncSession, invoices: Sequence[Invoice]) -> dict[UUID, Decimal]:
    """What each invoice still expects after the ledger's matches."""
    covered = await matched_on_invoices(session, [i.id for i in invoices])
    return {i.id: (i.total or Decimal(0)) - covered.get(i.id, Decimal(0)) for i in invoices}


@dataclass(frozen=True)
class Suggestion:
    """A suggestion with what a user needs to decide it."""

    row: MatchSuggestion
    invoice: Invoice
    tx: Transaction
    open_amount: Decimal
    """What accepting would apply."""
    invoice_outstanding: Decimal
    """What the invoice still expects after the ledger's matches."""


async def suggestion_view(session: AsyncSession, suggestion: MatchSuggestion) -> Suggestion:
    invoice = await session.get_one(Invoice, suggestion.invoice_id)
    tx = await session.get_one(Transaction, suggestion.transaction_id)
    outstanding = await outstanding_of(session, [invoice])
    return Suggestion(
        suggestion,
        invoice,
        tx,
        max(await open_amount(session, tx), Decimal(0)),
        outstanding[invoice.id],
    )


def pending_suggestions(
    workspace_id: UUID, transaction_id: UUID | None, invoice_id: UUID | None
) -> Select[tuple[MatchSuggestion]]:
    """Pending suggestions for invoices that still expect money, as a query to page through."""
    stmt = (
        select(MatchSuggestion)
        .join(Invoice, Invoice.id == MatchSuggestion.invoice_id)
        .where(
            MatchSuggestion.workspace_id == workspace_id,
            MatchSuggestion.status == "pending",
            Invoice.cancelled_at.is_(None),
        )
    )
    if transaction_id:
        stmt = stmt.where(MatchSuggestion.transaction_id == transaction_id)
    if invoice_id:
        stmt = stmt.where(MatchSuggestion.invoice_id == invoice_id)
    return stmt


async def _pending(
    session: AsyncSession, principal: Principal, suggestion_id: UUID
) -> MatchSuggestion:
    suggestion = await session.scalar(
        select(MatchSuggestion)
        .where(
            MatchSuggestion.id == suggestion_id,
            MatchSuggestion.workspace_id == principal.workspace_id,
        )
        .with_for_update()
    )
    if suggestion is None:
        raise NotFound("suggestion")
    check_pending(suggestion.status)
    return suggestion


async def accept_suggestion(
    session: AsyncSession, principal: Principal, suggestion_id: UUID, events: EventWriter
) -> PaymentMatch:
    """Apply what is left of the transaction to the suggested invoice."""
    await lock_matching(session, principal.workspace_id)
    suggestion = await _pending(session, principal, suggestion_id)
    tx = await transaction_in_workspace(
        session, principal.workspace_id, suggestion.transaction_id, for_update=True
    )
    assert tx is not None
    return await _match_by_hand(
        session, principal, tx, suggestion.invoice_id, None, "suggestion_accepted", events
    )


async def reject_suggestion(
    session: AsyncSession, principal: Principal, suggestion_id: UUID, events: EventWriter
) -> Suggestion:
    """This transaction does not pay that invoice: the pair is never suggested again."""
    suggestion = await _pending(session, principal, suggestion_id)
    suggestion.status = "rejected"
    suggestion.decided_at = utcnow()
    rejected = MatchSuggestionRejected(
        suggestion_id=suggestion.id,
        invoice_id=suggestion.invoice_id,
        transaction_id=suggestion.transaction_id,
        reason=suggestion.reason,
    )
    await events.write(session, rejected, on=principal)
    return await suggestion_view(session, suggestion)
