"""POST /api/v1/timer/start|stop, GET /api/v1/timer: a running clock that becomes a work entry."""

import math
from datetime import datetime
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from kasa_contracts.changes import diff
from kasa_contracts.events.invoicing import WorkEntryCreated, WorkEntryUpdated
from kasa_invoicing.api.records import conflict, publish, snapshot
from kasa_invoicing.api.work_entries import FIELDS, WorkEntryOut, entry_out
from kasa_invoicing.db.tables import Project, WorkEntry
from kasa_servicekit.auth import CurrentPrincipal, Principal, WritingPrincipal
from kasa_servicekit.db import utcnow
from kasa_servicekit.ids import new_id
from kasa_servicekit.scoping import owned
from kasa_servicekit.service import Db

router = APIRouter(prefix="/api/v1/timer", tags=["timer"])

MAX_MINUTES = 24 * 60


class TimerStart(BaseModel):
    model_config = ConfigDict(extra="forbid")

    project_id: UUID
    description: Annotated[str, Field(max_length=2000)] = ""
    billable: bool = True
    switch: bool = Field(
        default=False,
        description="true: a running timer is stopped first (it becomes a time entry), "
        "in the same transaction; false: a running timer is a conflict",
    )


class TimerOut(BaseModel):
    running: WorkEntryOut | None


def _running(workspace_id: UUID) -> Select[tuple[WorkEntry]]:
    return select(WorkEntry).where(
        WorkEntry.workspace_id == workspace_id,
        WorkEntry.started_at.is_not(None),
        WorkEntry.minutes.is_(None),
        WorkEntry.fixed_amount.is_(None),
    )


@router.get("", response_model=TimerOut)
async def get_timer(principal: CurrentPrincipal, db: Db) -> TimerOut:
    async with db.sessions() as session:
        row = await session.scalar(_running(principal.workspace_id))
    return TimerOut(running=entry_out(row) if row else None)


@router.post("/start", response_model=WorkEntryOut, status_code=201)
async def start_timer(body: TimerStart, principal: WritingPrincipal, db: Db) -> WorkEntryOut:
    now = utcnow()
    async with db.transaction() as session:
        project = await owned(session, Project, body.project_id, principal.workspace_id, "project")
        running = await session.scalar(_running(principal.workspace_id).with_for_update())
        if running is not None:
            if not body.switch:
                raise conflict("a timer is already running; stop it first")
            await _stop(session, principal, running, now)
        row = WorkEntry(
            id=new_id(),
            workspace_id=principal.workspace_id,
            project_id=project.id,
            client_id=project.client_id,
            work_date=now.date(),
            minutes=None,
            fixed_amount=None,
            description=body.description,
            billable=body.billable,
            invoice_id=None,
            started_at=now,
            created_at=now,
            updated_at=now,
        )
        session.add(row)
        await session.flush()
        await publish(
            session,
            principal,
            WorkEntryCreated(
                work_entry_id=row.id,
                project_id=row.project_id,
                changes=diff(None, snapshot(row, FIELDS)),
            ),
        )
        return entry_out(row)


async def _stop(session: AsyncSession, principal: Principal, row: WorkEntry, now: datetime) -> None:
    """The entry gets the elapsed minutes, rounded up, at most a day."""
    assert row.started_at is not None
    before = snapshot(row, FIELDS)
    elapsed = math.ceil((now - row.started_at).total_seconds() / 60)
    row.minutes = min(max(elapsed, 1), MAX_MINUTES)
    row.updated_at = now
    await publish(
        session,
        principal,
        WorkEntryUpdated(
            work_entry_id=row.id,
            project_id=row.project_id,
            changes=diff(before, snapshot(row, FIELDS)),
        ),
    )
    # The next timer may start in the same transaction: it must see this one stopped.
    await session.flush()


@router.post("/stop", response_model=WorkEntryOut)
async def stop_timer(principal: WritingPrincipal, db: Db) -> WorkEntryOut:
    """Stop the clock: the entry gets the elapsed minutes, rounded up, at most a day."""
    async with db.transaction() as session:
        row = await session.scalar(_running(principal.workspace_id).with_for_update())
        if row is None:
            raise conflict("no timer is running")
        await _stop(session, principal, row, utcnow())
        return entry_out(row)
