"""Assets and liabilities: what is owned and owed, with a value history."""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kasa_contracts.changes import diff, wire_value
from kasa_contracts.events.ledger import HoldingCreated, HoldingValued
from kasa_ledger.db.tables import Holding, HoldingValue
from kasa_ledger.domain.errors import NotFound
from kasa_ledger.domain.holdings import Side, latest_totals
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
    session: AsyncSession, workspace_id: UUID, side: Side, holding_id: UUID
) -> Holding:
    found = await session.scalar(
        select(Holding).where(
            Holding.id == holding_id,
            Holding.workspace_id == workspace_id,
            Holding.side == side,
        )
    )
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


async def latest_values(
    session: AsyncSession, workspace_id: UUID, side: Side, as_of: date
) -> dict[str, Decimal]:
    """Per currency, the sum of each holding's latest value on or before ``as_of``."""
    rows = await session.execute(
        select(Holding.id, Holding.currency, HoldingValue.valued_on, HoldingValue.value)
        .join(HoldingValue, HoldingValue.holding_id == Holding.id)
        .where(
            Holding.workspace_id == workspace_id,
            Holding.side == side,
            HoldingValue.valued_on <= as_of,
        )
        .order_by(Holding.id, HoldingValue.valued_on)
    )
    return latest_totals((h, c, d, v) for h, c, d, v in rows)
