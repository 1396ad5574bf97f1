"""/api/v1/work-entries: time and fixed-price work; an invoiced entry is locked."""

from collections.abc import Sequence
from datetime import date, datetime
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel, ConfigDict, Field, model_validator
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kasa_contracts.changes import diff
from kasa_contracts.events.invoicing import WorkEntryCreated, WorkEntryDeleted, WorkEntryUpdated
from kasa_contracts.types import MoneyAmount, PositiveAmount
from kasa_invoicing.api.records import conflict, publish, snapshot, unprocessable, values
from kasa_invoicing.db.tables import Invoice, Project, WorkEntry
from kasa_servicekit.auth import CurrentPrincipal, WritingPrincipal
from kasa_servicekit.db import utcnow
from kasa_servicekit.ids import new_id
from kasa_servicekit.pagination import Cursor, Limit, Page, keyset_page
from kasa_servicekit.scoping import owned
from kasa_servicekit.service import Db

router = APIRouter(prefix="/api/v1/work-entries", tags=["work-entries"])

FIELDS = (
    "project_id",
    "work_date",
    "minutes",
    "fixed_amount",
    "description",
    "billable",
    "started_at",
)
Minutes = Annotated[int, Field(ge=1, le=24 * 60)]


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


class WorkEntryOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: UUID
    project_id: UUID
    client_id: UUID
    work_date: date
    minutes: int | None
    fixed_amount: MoneyAmount | None
    description: str
    billable: bool
    invoice_id: UUID | None
    invoice_number: str | None = Field(
        default=None, description="The number of its invoice; null while that is a draft"
    )
    locked: bool = Field(description="On an invoice: it cannot be changed or deleted")
    running: bool = Field(description="A timer is running on it")
    started_at: datetime | None
    created_at: datetime
    updated_at: datetime


def entry_out(row: WorkEntry, invoice_number: str | None = None) -> WorkEntryOut:
    return WorkEntryOut.model_validate(
        {
            **{c: getattr(row, c) for c in WorkEntryOut.model_fields if hasattr(row, c)},
            "invoice_number": invoice_number,
            "locked": row.invoice_id is not None,
            "running": row.started_at is not None and row.minutes is None,
        }
    )


async def _invoice_numbers(
    session: AsyncSession, rows: Sequence[WorkEntry]
) -> dict[UUID, str | None]:
    """One query for the numbers of the invoices the entries are on, so a list shows them."""
    ids = {r.invoice_id for r in rows if r.invoice_id is not None}
    if not ids:
        return {}
    found = await session.execute(select(Invoice.id, Invoice.number).where(Invoice.id.in_(ids)))
    return {invoice_id: number for invoice_id, number in found.tuples()}


def _numbered(row: WorkEntry, numbers: dict[UUID, str | None]) -> WorkEntryOut:
    return entry_out(row, numbers.get(row.invoice_id) if row.invoice_id else None)


def _must_be_open(row: WorkEntry) -> None:
    if row.invoice_id is not None:
        raise conflict("the work entry is on an invoice and locked")


@router.post("", response_model=WorkEntryOut, status_code=201)
async def create_work_entry(body: WorkEntryIn, principal: WritingPrincipal, db: Db) -> WorkEntryOut:
    now = utcnow()
    async with db.transaction() as session:
        project = await owned(session, Project, body.project_id, principal.workspace_id, "project")
        row = WorkEntry(
            id=new_id(),
            workspace_id=principal.workspace_id,
            client_id=project.client_id,
            invoice_id=None,
            started_at=None,
            created_at=now,
            updated_at=now,
            **values(body),
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
        numbers = await _invoice_numbers(session, rows)
    return Page(items=[_numbered(r, numbers) for r in rows], next_cursor=next_cursor)


@router.get("/{entry_id}", response_model=WorkEntryOut)
async def get_work_entry(entry_id: UUID, principal: CurrentPrincipal, db: Db) -> WorkEntryOut:
    async with db.sessions() as session:
        row = await owned(session, WorkEntry, entry_id, principal.workspace_id, "work entry")
        numbers = await _invoice_numbers(session, [row])
    return _numbered(row, numbers)


@router.patch("/{entry_id}", response_model=WorkEntryOut)
async def update_work_entry(
    entry_id: UUID, body: WorkEntryPatch, principal: WritingPrincipal, db: Db
) -> WorkEntryOut:
    async with db.transaction() as session:
        row = await owned(
            session, WorkEntry, entry_id, principal.workspace_id, "work entry", lock=True
        )
        _must_be_open(row)
        before = snapshot(row, FIELDS)
        changes_in = values(body, only_set=True)
        if "project_id" in changes_in and changes_in["project_id"] is not None:
            project = await owned(
                session, Project, changes_in["project_id"], principal.workspace_id, "project"
            )
            row.client_id = project.client_id
        # Switching between time and a fixed amount clears the other one.
        if changes_in.get("minutes") is not None:
            row.fixed_amount = None
        if changes_in.get("fixed_amount") is not None:
            row.minutes = None
        for name, value in changes_in.items():
            if value is None and name in ("project_id", "work_date", "billable", "description"):
                continue
            setattr(row, name, value)
        if row.minutes is None and row.fixed_amount is None and row.started_at is None:
            raise unprocessable("a work entry needs minutes or a fixed amount")
        changes = diff(before, snapshot(row, FIELDS))
        if changes:
            row.updated_at = utcnow()
            await publish(
                session,
                principal,
                WorkEntryUpdated(work_entry_id=row.id, project_id=row.project_id, changes=changes),
            )
        return entry_out(row)


@router.delete("/{entry_id}", status_code=204)
async def delete_work_entry(entry_id: UUID, principal: WritingPrincipal, db: Db) -> Response:
    async with db.transaction() as session:
        row = await owned(
            session, WorkEntry, entry_id, principal.workspace_id, "work entry", lock=True
        )
        _must_be_open(row)
        changes = diff(snapshot(row, FIELDS), None)
        await session.delete(row)
        await publish(
            session,
            principal,
            WorkEntryDeleted(work_entry_id=row.id, project_id=row.project_id, changes=changes),
        )
    return Response(status_code=204)
