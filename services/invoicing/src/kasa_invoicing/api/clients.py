"""/api/v1/clients: the people and firms the workspace invoices."""

from datetime import datetime
from typing import Annotated, Literal
from uuid import UUID

from fastapi import APIRouter, Response
from pydantic import BaseModel, ConfigDict, Field, model_validator
from sqlalchemy import exists, select

from kasa_contracts.changes import diff
from kasa_contracts.events.invoicing import ClientCreated, ClientDeleted, ClientUpdated
from kasa_contracts.types import CurrencyCode, MoneyAmount, PositiveAmount
from kasa_invoicing.api.records import conflict, publish, snapshot, values
from kasa_invoicing.db.tables import Client, Invoice, Project
from kasa_servicekit.auth import CurrentPrincipal, WritingPrincipal
from kasa_servicekit.db import utcnow
from kasa_servicekit.ids import new_id
from kasa_servicekit.money import at_currency_precision
from kasa_servicekit.pagination import Cursor, Limit, Page, keyset_page
from kasa_servicekit.scoping import owned
from kasa_servicekit.service import Db

router = APIRouter(prefix="/api/v1/clients", tags=["clients"])

Language = Literal["en", "cs"]
FIELDS = (
    "name",
    "email",
    "address",
    "country",
    "company_id",
    "vat_id",
    "currency",
    "language",
    "payment_terms_days",
    "hourly_rate",
)


class ClientPatch(BaseModel):
    """Fields to change; the ones left out keep their values."""

    model_config = ConfigDict(extra="forbid")

    name: Annotated[str | None, Field(min_length=1, max_length=200)] = None
    email: Annotated[str | None, Field(max_length=320, pattern=r"^[^@\s]+@[^@\s]+$")] = None
    address: Annotated[str | None, Field(max_length=1000)] = None
    country: Annotated[str | None, Field(pattern=r"^[A-Z]{2}$")] = None
    company_id: Annotated[str | None, Field(max_length=32)] = None
    vat_id: Annotated[str | None, Field(max_length=32)] = None
    currency: CurrencyCode | None = None
    language: Language | None = None
    payment_terms_days: Annotated[int | None, Field(ge=0, le=365)] = None
    hourly_rate: PositiveAmount | None = None


class ClientIn(ClientPatch):
    name: Annotated[str, Field(min_length=1, max_length=200)]
    currency: CurrencyCode = "CZK"
    language: Language = "en"


class ClientOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: UUID
    name: str
    email: str | None
    address: str | None
    country: str | None
    company_id: str | None
    vat_id: str | None
    currency: str
    language: str
    payment_terms_days: int | None
    hourly_rate: MoneyAmount | None
    created_at: datetime
    updated_at: datetime

    @model_validator(mode="after")
    def _readable(self) -> "ClientOut":
        if self.hourly_rate is not None:
            self.hourly_rate = at_currency_precision(self.hourly_rate, self.currency)
        return self


@router.post("", response_model=ClientOut, status_code=201)
async def create_client(body: ClientIn, principal: WritingPrincipal, db: Db) -> ClientOut:
    now = utcnow()
    async with db.transaction() as session:
        row = Client(
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
            ClientCreated(
                client_id=row.id, name=row.name, changes=diff(None, snapshot(row, FIELDS))
            ),
        )
        return ClientOut.model_validate(row)


@router.get("", response_model=Page[ClientOut])
async def list_clients(
    principal: CurrentPrincipal, db: Db, limit: Limit = 50, cursor: Cursor = None
) -> Page[ClientOut]:
    stmt = select(Client).where(Client.workspace_id == principal.workspace_id)
    async with db.sessions() as session:
        rows, next_cursor = await keyset_page(
            session, stmt, [Client.name, Client.id], limit=limit, cursor=cursor, descending=False
        )
    return Page(items=[ClientOut.model_validate(r) for r in rows], next_cursor=next_cursor)


@router.get("/{client_id}", response_model=ClientOut)
async def get_client(client_id: UUID, principal: CurrentPrincipal, db: Db) -> ClientOut:
    async with db.sessions() as session:
        row = await owned(session, Client, client_id, principal.workspace_id, "client")
    return ClientOut.model_validate(row)


@router.patch("/{client_id}", response_model=ClientOut)
async def update_client(
    client_id: UUID, body: ClientPatch, principal: WritingPrincipal, db: Db
) -> ClientOut:
    async with db.transaction() as session:
        row = await owned(session, Client, client_id, principal.workspace_id, "client")
        before = snapshot(row, FIELDS)
        for name, value in values(body, only_set=True).items():
            if value is None and name in ("name", "currency", "language"):
                continue
            setattr(row, name, value)
        changes = diff(before, snapshot(row, FIELDS))
        if changes:
            row.updated_at = utcnow()
            await publish(
                session, principal, ClientUpdated(client_id=row.id, name=row.name, changes=changes)
            )
        return ClientOut.model_validate(row)


@router.delete("/{client_id}", status_code=204)
async def delete_client(client_id: UUID, principal: WritingPrincipal, db: Db) -> Response:
    async with db.transaction() as session:
        row = await owned(session, Client, client_id, principal.workspace_id, "client")
        in_use = await session.scalar(
            select(
                exists().where(Project.client_id == row.id)
                | exists().where(Invoice.client_id == row.id)
            )
        )
        if in_use:
            raise conflict("the client has projects or invoices; delete those first")
        changes = diff(snapshot(row, FIELDS), None)
        await session.delete(row)
        await publish(
            session, principal, ClientDeleted(client_id=row.id, name=row.name, changes=changes)
        )
    return Response(status_code=204)
