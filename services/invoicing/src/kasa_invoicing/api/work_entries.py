"""/api/v1/work-entries: time and fixed-price work; an invoiced entry is locked."""

from datetime import date
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel, ConfigDict, Field, model_validator
from sqlalchemy import select

from kasa_contracts.types import PositiveAmount
from kasa_invoicing.api.bodies import values
from kasa_invoicing.api.work_views import WorkEntryOut, entry_out
from kasa_invoicing.app import work
from kasa_invoicing.db.tables import WorkEntry
from kasa_invoicing.db.work import WorkRows
from kasa_invoicing.domain.work import MAX_MINUTES
from kasa_servicekit.auth import CurrentPrincipal, MemberPrincipal
from kasa_servicekit.pagination import Cursor, Limit, Page, keyset_page
from kasa_servicekit.service import Db, Events

router = APIRouter(prefix="/api/v1/work-entries", tags=["work-entries"])

Minutes = Annotated[int, Field(ge=1, le=MAX_MINUTES)]


class WorkEntryPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    project_id: UUID | None = None
    work_date: date | None = None
    minutes: Minutes | None = None
    fixed_amount: PositiveAmount | None = None
    description: Annotated[str | None, Field(max_length=2000)] = None
    billable: bool | None = None


class WorkEntryIn(WorkEntryPatch):
    project_id: UUID
    work_date: date
    description: Annotated[str, Field(max_length=2000)] = ""
    billable: bool = True

    @model_validator(mode="after")
    def _time_or_amount(self) -> "WorkEntryIn":
        if (self.minutes is None) == (self.fixed_amount is None):
            raise ValueError("give either minutes (time) or fixed_amount, not both")
        return self


def _numbered(row: WorkEntry, numbers: dict[UUID, str | None]) -> WorkEntryOut:
    return entry_out(row, numbers.get(row.invoice_id) if row.invoice_id else None)


@router.post("", response_model=WorkEntryOut, status_code=201)
async def create_work_entry(
    body: WorkEntryIn, principal: MemberPrincipal, db: Db, events: Events
) -> WorkEntryOut:
    async with db.transaction() as session:
        store = WorkRows(session, principal.workspace_id)
        return entry_out(await work.create_entry(store, events, principal, values(body)))


@router.get("", response_model=Page[WorkEntryOut])
async def list_work_entries(
    principal: CurrentPrincipal,
    db: Db,
    limit: Limit = 50,
    cursor: Cursor = None,
    client_id: UUID | None = None,
    project_id: UUID | None = None,
    from_: Annotated[date | None, Query(alias="from")] = None,
    to: date | None = None,
    unbilled: Annotated[
        bool | None, Query(description="true: billable, finished and not on any invoice")
    ] = None,
    billable: bool | None = None,
) -> Page[WorkEntryOut]:
    stmt = select(WorkEntry).where(WorkEntry.workspace_id == principal.workspace_id)
    if client_id:
        stmt = stmt.where(WorkEntry.client_id == client_id)
    if project_id:
        stmt = stmt.where(WorkEntry.project_id == project_id)
    if from_:
        stmt = stmt.where(WorkEntry.work_date >= from_)
    if to:
        stmt = stmt.where(WorkEntry.work_date <= to)
    if billable is not None:
        stmt = stmt.where(WorkEntry.billable == billable)
    if unbilled is True:
        stmt = stmt.where(
            WorkEntry.billable.is_(True),
            WorkEntry.invoice_id.is_(None),
            (WorkEntry.minutes.is_not(None)) | (WorkEntry.fixed_amount.is_not(None)),
        )
    elif unbilled is False:
        stmt = stmt.where(WorkEntry.invoice_id.is_not(None))
    async with db.sessions() as session:
        rows, next_cursor = await keyset_page(
            session, stmt, [WorkEntry.work_date, WorkEntry.id], limit=limit, cursor=cursor
        )
        numbers = await WorkRows(session, principal.workspace_id).invoice_numbers(rows)
    return Page(items=[_numbered(r, numbers) for r in rows], next_cursor=next_cursor)


@router.get("/{entry_id}", response_model=WorkEntryOut)
async def get_work_entry(entry_id: UUID, principal: CurrentPrincipal, db: Db) -> WorkEntryOut:
    async with db.sessions() as session:
        store = WorkRows(session, principal.workspace_id)
        row = await store.owned(WorkEntry, entry_id, "work entry")
        numbers = await store.invoice_numbers([row])
    return _numbered(row, numbers)


@router.patch("/{entry_id}", response_model=WorkEntryOut)
async def update_work_entry(
    entry_id: UUID, body: WorkEntryPatch, principal: MemberPrincipal, db: Db, events: Events
) -> WorkEntryOut:
    async with db.transaction() as session:
        store = WorkRows(session, principal.workspace_id)
        row = await work.update_entry(
            store, events, principal, entry_id, values(body, only_set=True)
        )
        return entry_out(row)


@router.delete("/{entry_id}", status_code=204)
async def delete_work_entry(
    entry_id: UUID, principal: MemberPrincipal, db: Db, events: Events
) -> Response:
    async with db.transaction() as session:
        await work.delete_entry(
            WorkRows(session, principal.workspace_id), events, principal, entry_id
        )
    return Response(status_code=204)
