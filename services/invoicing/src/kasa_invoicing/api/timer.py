"""POST /api/v1/timer/start|stop, GET /api/v1/timer: a running clock that becomes a work entry."""

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from kasa_invoicing.api.bodies import values
from kasa_invoicing.api.work_views import WorkEntryOut, entry_out
from kasa_invoicing.app import work
from kasa_invoicing.db.work import WorkRows
from kasa_servicekit.auth import CurrentPrincipal, MemberPrincipal
from kasa_servicekit.service import Db, Events

router = APIRouter(prefix="/api/v1/timer", tags=["timer"])


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


@router.get("", response_model=TimerOut)
async def get_timer(principal: CurrentPrincipal, db: Db) -> TimerOut:
    async with db.sessions() as session:
        row = await WorkRows(session, principal.workspace_id).running()
    return TimerOut(running=entry_out(row) if row else None)


@router.post("/start", response_model=WorkEntryOut, status_code=201)
async def start_timer(
    body: TimerStart, principal: MemberPrincipal, db: Db, events: Events
) -> WorkEntryOut:
    async with db.transaction() as session:
        store = WorkRows(session, principal.workspace_id)
        row = await work.start_timer(store, events, principal, work.TimerStart(**values(body)))
        return entry_out(row)


@router.post("/stop", response_model=WorkEntryOut)
async def stop_timer(principal: MemberPrincipal, db: Db, events: Events) -> WorkEntryOut:
    """Stop the clock: the entry gets the elapsed minutes, rounded up, at most a day."""
    async with db.transaction() as session:
        row = await work.stop_timer(WorkRows(session, principal.workspace_id), events, principal)
        return entry_out(row)
