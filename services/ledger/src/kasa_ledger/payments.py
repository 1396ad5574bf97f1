"""Applying payments to invoices: loads the facts, asks ``domain.matching``, writes the result.

Every function runs inside the caller's transaction and writes its events there, under the
workspace's matching lock, so two payments never take the same money and a payment and its
invoice arriving together still meet.
"""

from collections.abc import Sequence
from decimal import Decimal
from typing import Literal
from uuid import UUID

from sqlalchemy import and_, func, literal, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from kasa_contracts import Actor
from kasa_contracts.events.ledger import PaymentMatched, PaymentUnmatched
from kasa_ledger.db.queries import lock_matching, matched_on_invoices, open_amount
from kasa_ledger.db.tables import Invoice, MatchSuggestion, PaymentMatch, Transaction
from kasa_ledger.domain.matching import (
    DUE_GRACE,
    OpenInvoice,
    Payment,
    Reason,
    amount_to_apply,
    decide,
)
from kasa_servicekit.db import insert_if_absent, utcnow
from kasa_servicekit.ids import new_id
from kasa_servicekit.outbox import add_payloads

MatchReason = Literal["variable_symbol", "invoice_number", "suggestion_accepted", "manual"]
"""Why money was applied, as ``ledger.payment.matched`` tells it."""

_APPLIED_AS: dict[Reason, MatchReason] = {
    "variable_symbol": "variable_symbol",
    "invoice_number": "invoice_number",
    "known_payer_amount": "suggestion_accepted",
}

MATCHER = Actor(type="system", id="ledger", name="payment matching")
"""The actor of matches the ledger applies on its own."""


def _texts(tx: Transaction) -> tuple[str, ...]:
    return tuple(t for t in (tx.description, tx.reference) if t)


def matchable(tx: Transaction) -> bool:
    """Whether a transaction can pay invoices: only income entries can."""
    return tx.type == "income" and tx.kind == "entry"


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


async def auto_match(session: AsyncSession, tx: Transaction) -> None:
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
                session, tx, invoice, remaining, _APPLIED_AS[decision.reason], MATCHER
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
    actor: Actor,
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
    event = PaymentMatched(
        match_id=match.id,
        invoice_id=invoice.id,
        transaction_id=tx.id,
        amount=amount,
        currency=tx.currency,
        paid_on=tx.transacted_on,
        reason=reason,
    )
    await add_payloads(session, event, producer="ledger", workspace_id=tx.workspace_id, actor=actor)
    return match


async def match_by_hand(
    session: AsyncSession,
    tx: Transaction,
    invoice: Invoice,
    requested: Decimal | None,
    reason: MatchReason,
    actor: Actor,
) -> PaymentMatch:
    """A user's match; raises ValueError when the transaction cannot give that much."""
    if tx.currency != invoice.currency:
        raise ValueError(
            f"the transaction is in {tx.currency} and the invoice in {invoice.currency}"
        )
    if tx.type != "income" or tx.kind != "entry":
        raise ValueError("only an income entry can pay an invoice")
    await lock_matching(session, tx.workspace_id)
    amount = amount_to_apply(await open_amount(session, tx), requested)
    return await apply_match(session, tx, invoice, amount, reason, actor)


async def unmatch(session: AsyncSession, match: PaymentMatch, actor: Actor) -> None:
    """Take a payment off its invoice, keeping the row as history, and publish it."""
    await lock_matching(session, match.workspace_id)
    match.unmatched_at = utcnow()
    event = PaymentUnmatched(
        match_id=match.id,
        invoice_id=match.invoice_id,
        transaction_id=match.transaction_id,
        amount=match.amount,
        currency=match.currency,
    )
    await add_payloads(
        session, event, producer="ledger", workspace_id=match.workspace_id, actor=actor
    )


async def match_waiting_payments(session: AsyncSession, invoice: Invoice) -> None:
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
        await auto_match(session, tx)
