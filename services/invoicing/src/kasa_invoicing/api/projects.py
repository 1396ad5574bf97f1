"""/api/v1/projects: work for a client, with an hourly rate that falls back to the client's."""

from datetime import datetime
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Response
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select

from kasa_contracts.types import CurrencyCode, DecimalString, MoneyAmount, PositiveAmount
from kasa_invoicing.api.bodies import values
from kasa_invoicing.app import projects
from kasa_invoicing.db.projects import ProjectRows
from kasa_invoicing.db.tables import Client, Project
from kasa_invoicing.domain.pricing import effective_rate
from kasa_servicekit.auth import CurrentPrincipal, MemberPrincipal
from kasa_servicekit.money import at_currency_precision
from kasa_servicekit.pagination import Cursor, Limit, Page, keyset_page
from kasa_servicekit.service import Db, Events

router = APIRouter(prefix="/api/v1/projects", tags=["projects"])


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


def project_out(project: Project, client: Client) -> ProjectOut:
    currency = project.currency or client.currency
    rate = effective_rate(project.hourly_rate, client.hourly_rate)
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


@router.post("", response_model=ProjectOut, status_code=201)
async def create_project(
    body: ProjectIn, principal: MemberPrincipal, db: Db, events: Events
) -> ProjectOut:
    async with db.transaction() as session:
        store = ProjectRows(session, principal.workspace_id)
        row, client = await projects.create(store, events, principal, values(body))
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
        store = ProjectRows(session, principal.workspace_id)
        row = await store.owned(Project, project_id, "project")
        return project_out(row, await store.client_of(row))


@router.patch("/{project_id}", response_model=ProjectOut)
async def update_project(
    project_id: UUID, body: ProjectPatch, principal: MemberPrincipal, db: Db, events: Events
) -> ProjectOut:
    async with db.transaction() as session:
        store = ProjectRows(session, principal.workspace_id)
        row = await projects.update(
            store, events, principal, project_id, values(body, only_set=True)
        )
        return project_out(row, await store.client_of(row))


@router.delete("/{project_id}", status_code=204)
async def delete_project(
    project_id: UUID, principal: MemberPrincipal, db: Db, events: Events
) -> Response:
    async with db.transaction() as session:
        store = ProjectRows(session, principal.workspace_id)
        await projects.delete(store, events, principal, project_id)
    return Response(status_code=204)
