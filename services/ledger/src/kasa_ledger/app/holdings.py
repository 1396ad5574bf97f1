"""Assets and liabilities: what is owned and owed, with a value history."""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kasa_contracts.changes import diff, wire_value
from kasa_contracts.events.ledger import HoldingClosed, HoldingCreated, HoldingValued
from kasa_ledger.db.tables import Holding, HoldingValue
from kasa_ledger.domain.errors import NotFound
from kasa_ledger.domain.holdings import Side, check_close, check_value, latest_totals
from kasa_servicekit.auth import Principal
from kasa_servicekit.db import utcnow
from kasa_servicekit.events import EventWriter
from kasa_servicekit.ids import new_id


@dataclass(frozen=True)
class Valued:
    """A holding with its recorded values, oldest first."""

    holding: Holding
    values: list[HoldingValue]


async def valued(session: AsyncSession, holding: Holding) -> Valued:
    values = await session.scalars(
        select(HoldingValue)
        .where(HoldingValue.holding_id == holding.id)
        .order_by(HoldingValue.valued_on)
    )
    return Valued(holding, list(values))


async def holdings(session: AsyncSession, workspace_id: UUID, side: Side) -> list[Valued]:
    rows = await session.scalars(
        select(Holding)
        .where(Holding.workspace_id == workspace_id, Holding.side == side)
        .order_by(Holding.id)
    )
    return [await valued(session, h) for h in list(rows)]


async def holding(
    session: AsyncSession,
    workspace_id: UUID,
    side: Side,
    holding_id: UUID,
    *,
    for_update: bool = False,
) -> Holding:
    """The holding; ``for_update`` locks it, so a close and a new value never cross."""
    stmt = select(Holding).where(
        Holding.id == holding_id,
        Holding.workspace_id == workspace_id,
        Holding.side == side,
    )
    found = await session.scalar(stmt.with_for_update() if for_update else stmt)
    if found is None:
        raise NotFound(side)
    return found


async def record_value(
    session: AsyncSession,
    principal: Principal,
    held: Holding,
    valued_on: date,
    value: Decimal,
    events: EventWriter,
) -> None:
    """Record the value on a day; recording the same day again replaces it."""
    check_value(held.closed_on, valued_on)
    existing = await session.scalar(
        select(HoldingValue).where(
            HoldingValue.holding_id == held.id, HoldingValue.valued_on == valued_on
        )
    )
    before = wire_value(existing.value) if existing else None
    if existing:
        existing.value = value
    else:
        session.add(
            HoldingValue(
                id=new_id(),
                holding_id=held.id,
                valued_on=valued_on,
                value=value,
                created_at=utcnow(),
            )
        )
    await session.flush()
    event = HoldingValued(
        holding_id=held.id,
        valued_on=valued_on,
        value=value,
        currency=held.currency,
        changes=diff({"value": before}, {"value": wire_value(value)}),
    )
    await events.write(session, event, on=principal)


async def create(
    session: AsyncSession,
    principal: Principal,
    side: Side,
    kind: str,
    name: str,
    currency: str,
    first_value: tuple[date, Decimal] | None,
    events: EventWriter,
) -> Holding:
    """A new asset or liability, with its first value when one is given."""
    created = Holding(
        id=new_id(),
        workspace_id=principal.workspace_id,
        side=side,
        kind=kind,
        name=name,
        currency=currency,
        created_at=utcnow(),
    )
    session.add(created)
    await session.flush()
    event = HoldingCreated(
        holding_id=created.id,
        side=side,
        kind=created.kind,
        name=created.name,
        currency=created.currency,
    )
    await events.write(session, event, on=principal)
    if first_value is not None:
        await record_value(session, principal, created, *first_value, events)
    return created


async def close(
    session: AsyncSession,
    principal: Principal,
    held: Holding,
    closed_on: date,
    reason: str,
    events: EventWriter,
) -> None:
    """Close a holding (sold, paid off, written off): it keeps its history and stops counting
    in net worth from ``closed_on``. A closed holding is never reopened or valued again."""
    last = await session.scalar(
        select(HoldingValue.valued_on)
        .where(HoldingValue.holding_id == held.id)
        .order_by(HoldingValue.valued_on.desc())
        .limit(1)
    )
    check_close(held.closed_on, last, closed_on)
    held.closed_on = closed_on
    held.close_reason = reason
    await session.flush()
    event = HoldingClosed(
        holding_id=held.id,
        closed_on=closed_on,
        reason=reason,
        changes=diff(
            {"closed_on": None, "close_reason": None},
            {"closed_on": wire_value(closed_on), "close_reason": reason},
        ),
    )
    await events.write(session, event, on=principal)


async def latest_values(
    session: AsyncSession, workspace_id: UUID, side: Side, days: list[date]
) -> dict[date, dict[str, Decimal]]:
    """Per day and currency, the sum of each holding's latest value on or before that day,
    leaving out what was closed by then."""
    if not days:
        return {}
    rows = await session.execute(
        select(
            Holding.id,
            Holding.currency,
            Holding.closed_on,
            HoldingValue.valued_on,
            HoldingValue.value,
        )
        .join(HoldingValue, HoldingValue.holding_id == Holding.id)
        .where(
            Holding.workspace_id == workspace_id,
            Holding.side == side,
            HoldingValue.valued_on <= max(days),
        )
        .order_by(Holding.id, HoldingValue.valued_on)
    )
    values, closed = [], {}
    for holding_id, currency, closed_on, valued_on, value in rows:
        values.append((holding_id, currency, valued_on, value))
        if closed_on is not None:
            closed[holding_id] = closed_on
    return {day: latest_totals(values, closed, day) for day in days}
