"""/api/v1/clients: the people and firms the workspace invoices."""

from datetime import datetime
from typing import Annotated, Literal
from uuid import UUID

from fastapi import APIRouter, Response
from pydantic import BaseModel, ConfigDict, Field, model_validator
from sqlalchemy import select

from kasa_contracts.types import CurrencyCode, MoneyAmount, PositiveAmount
from kasa_invoicing.api.bodies import values
from kasa_invoicing.app import clients
from kasa_invoicing.db.clients import ClientRows
from kasa_invoicing.db.tables import Client
from kasa_servicekit.auth import CurrentPrincipal, MemberPrincipal
from kasa_servicekit.money import at_currency_precision
from kasa_servicekit.pagination import Cursor, Limit, Page, keyset_page
from kasa_servicekit.service import Db, Events

router = APIRouter(prefix="/api/v1/clients", tags=["clients"])

Language = Literal["en", "cs"]


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
async def create_client(
    body: ClientIn, principal: MemberPrincipal, db: Db, events: Events
) -> ClientOut:
    async with db.transaction() as session:
        store = ClientRows(session, principal.workspace_id)
        row = await clients.create(store, events, principal, values(body))
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
        row = await ClientRows(session, principal.workspace_id).owned(Client, client_id, "client")
    return ClientOut.model_validate(row)


@router.patch("/{client_id}", response_model=ClientOut)
async def update_client(
    client_id: UUID, body: ClientPatch, principal: MemberPrincipal, db: Db, events: Events
) -> ClientOut:
    async with db.transaction() as session:
        store = ClientRows(session, principal.workspace_id)
        row = await clients.update(store, events, principal, client_id, values(body, only_set=True))
        return ClientOut.model_validate(row)


@router.delete("/{client_id}", status_code=204)
async def delete_client(
    client_id: UUID, principal: MemberPrincipal, db: Db, events: Events
) -> Response:
    async with db.transaction() as session:
        await clients.delete(
            ClientRows(session, principal.workspace_id), events, principal, client_id
        )
    return Response(status_code=204)
