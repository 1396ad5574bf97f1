"""/api/v1/projects: work for a client, with an hourly rate that falls back to the client's."""

from datetime import datetime
from decimal import Decimal
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Response
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import exists, select
from sqlalchemy.ext.asyncio import AsyncSession

from kasa_contracts.changes import diff
from kasa_contracts.events.invoicing import ProjectCreated, ProjectDeleted, ProjectUpdated
from kasa_contracts.types import CurrencyCode, DecimalString, MoneyAmount, PositiveAmount
from kasa_invoicing.api.records import conflict, publish, snapshot, unprocessable, values
from kasa_invoicing.db.tables import Client, Project, WorkEntry
from kasa_servicekit.auth import CurrentPrincipal, WritingPrincipal
from kasa_servicekit.db import utcnow
from kasa_servicekit.ids import new_id
from kasa_servicekit.money import at_currency_precision
from kasa_servicekit.pagination import Cursor, Limit, Page, keyset_page
from kasa_servicekit.scoping import owned
from kasa_servicekit.service import Db

router = APIRouter(prefix="/api/v1/projects", tags=["projects"])

FIELDS = ("client_id", "name", "hourly_rate", "currency", "active")


class ProjectPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Annotated[str | None, Field(min_length=1, max_length=200)] = None
    hourly_rate: PositiveAmount | None = Field(
        default=None, description="Empty: the client's hourly rate applies"
    )
    currency: CurrencyCode | None = Field(default=None, description="Empty: the client's")
    active: bool | None = None


class ProjectIn(ProjectPatch):
    client_id: UUID
    name: Annotated[str, Field(min_length=1, max_length=200)]
    active: bool = True


class ProjectOut(BaseModel):
    id: UUID
    client_id: UUID
    name: str
    hourly_rate: MoneyAmount | None
    currency: str | None
    active: bool
    effective_hourly_rate: DecimalString | None = Field(
        description="The rate time is billed at: the project's, else the client's"
    )
    effective_currency: str
    created_at: datetime
    updated_at: datetime


def effective_rate(project: Project, client: Client) -> Decimal | None:
    return project.hourly_rate if project.hourly_rate is not None else client.hourly_rate


def project_out(project: Project, client: Client) -> ProjectOut:
    currency = project.currency or client.currency
    rate = effective_rate(project, client)
    return ProjectOut(
        id=project.id,
        client_id=project.client_id,
        name=project.name,
        hourly_rate=(
            at_currency_precision(project.hourly_rate, currency)
            if project.hourly_rate is not None
            else None
        ),
        currency=project.currency,
        active=project.active,
        effective_hourly_rate=at_currency_precision(rate, currency) if rate is not None else None,
        effective_currency=currency,
        created_at=project.created_at,
        updated_at=project.updated_at,
    )


async def _client_of(session: AsyncSession, project: Project) -> Client:
    client = await session.get(Client, project.client_id)
    assert client is not None
    return client


@router.post("", response_model=ProjectOut, status_code=201)
async def create_project(body: ProjectIn, principal: WritingPrincipal, db: Db) -> ProjectOut:
    now = utcnow()
    async with db.transaction() as session:
        client = await owned(session, Client, body.client_id, principal.workspace_id, "client")
        row = Project(
            id=new_id(),
            workspace_id=principal.workspace_id,
            created_at=now,
            updated_at=now,
            **values(body),
        )
        session.add(row)
        await session.flush()
        await publish(
            session,
            principal,
            ProjectCreated(
                project_id=row.id,
                client_id=row.client_id,
                name=row.name,
                changes=diff(None, snapshot(row, FIELDS)),
            ),
        )
        return project_out(row, client)


@router.get("", response_model=Page[ProjectOut])
async def list_projects(
    principal: CurrentPrincipal,
    db: Db,
    limit: Limit = 50,
    cursor: Cursor = None,
    client_id: UUID | None = None,
    active: bool | None = None,
) -> Page[ProjectOut]:
    stmt = select(Project).where(Project.workspace_id == principal.workspace_id)
    if client_id:
        stmt = stmt.where(Project.client_id == client_id)
    if active is not None:
        stmt = stmt.where(Project.active == active)
    async with db.sessions() as session:
        rows, next_cursor = await keyset_page(
            session, stmt, [Project.name, Project.id], limit=limit, cursor=cursor, descending=False
        )
        ids = {r.client_id for r in rows}
        clients = {c.id: c for c in await session.scalars(select(Client).where(Client.id.in_(ids)))}
        items = [project_out(r, clients[r.client_id]) for r in rows]
    return Page(items=items, next_cursor=next_cursor)


@router.get("/{project_id}", response_model=ProjectOut)
async def get_project(project_id: UUID, principal: CurrentPrincipal, db: Db) -> ProjectOut:
    async with db.sessions() as session:
        row = await owned(session, Project, project_id, principal.workspace_id, "project")
        return project_out(row, await _client_of(session, row))


@router.patch("/{project_id}", response_model=ProjectOut)
async def update_project(
    project_id: UUID, body: ProjectPatch, principal: WritingPrincipal, db: Db
) -> ProjectOut:
    async with db.transaction() as session:
        row = await owned(session, Project, project_id, principal.workspace_id, "project")
        before = snapshot(row, FIELDS)
        for name, value in values(body, only_set=True).items():
            if value is None and name in ("name", "active"):
                continue
            setattr(row, name, value)
        client = await _client_of(session, row)
        if row.currency and row.currency != before["currency"]:
            billed = await session.scalar(select(exists().where(WorkEntry.project_id == row.id)))
            if billed:
                raise unprocessable("the currency of a project with work entries cannot change")
        changes = diff(before, snapshot(row, FIELDS))
        if changes:
            row.updated_at = utcnow()
            await publish(
                session,
                principal,
                ProjectUpdated(
                    project_id=row.id, client_id=row.client_id, name=row.name, changes=changes
                ),
            )
        return project_out(row, client)


@router.delete("/{project_id}", status_code=204)
async def delete_project(project_id: UUID, principal: WritingPrincipal, db: Db) -> Response:
    async with db.transaction() as session:
        row = await owned(session, Project, project_id, principal.workspace_id, "project")
        if await session.scalar(select(exists().where(WorkEntry.project_id == row.id))):
            raise conflict("the project has work entries; delete them or deactivate the project")
        changes = diff(snapshot(row, FIELDS), None)
        await session.delete(row)
        await publish(
            session,
            principal,
            ProjectDeleted(
                project_id=row.id, client_id=row.client_id, name=row.name, changes=changes
            ),
        )
    return Response(status_code=204)
