"""Clients: the people and firms the workspace invoices."""

from collections.abc import Mapping
from typing import Any, Protocol
from uuid import UUID

from kasa_contracts.changes import diff, snapshot
from kasa_contracts.events.invoicing import ClientCreated, ClientDeleted, ClientUpdated
from kasa_invoicing.app.store import Store
from kasa_invoicing.db.tables import Client
from kasa_invoicing.domain.errors import Conflict
from kasa_servicekit.db import utcnow
from kasa_servicekit.events import EventWriter, Origin
from kasa_servicekit.ids import new_id

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
_REQUIRED = ("name", "currency", "language")
"""A change that sends these as null keeps them: a client always has them."""


class ClientStore(Store, Protocol):
    async def in_use(self, client: Client) -> bool:
        """Whether projects or invoices refer to the client."""
        ...


async def create(
    store: Store, events: EventWriter, by: Origin, fields: Mapping[str, Any]
) -> Client:
    now = utcnow()
    row = Client(
        id=new_id(), workspace_id=store.workspace_id, created_at=now, updated_at=now, **fields
    )
    store.add(row)
    await store.flush()
    changes = diff(None, snapshot(row, FIELDS))
    await events.write(
        store.session, ClientCreated(client_id=row.id, name=row.name, changes=changes), on=by
    )
    return row


async def update(
    store: Store, events: EventWriter, by: Origin, client_id: UUID, fields: Mapping[str, Any]
) -> Client:
    """Change the ``fields`` given; an event only when something did change."""
    row = await store.owned(Client, client_id, "client")
    before = snapshot(row, FIELDS)
    for name, value in fields.items():
        if value is None and name in _REQUIRED:
            continue
        setattr(row, name, value)
    changes = diff(before, snapshot(row, FIELDS))
    if changes:
        row.updated_at = utcnow()
        await events.write(
            store.session, ClientUpdated(client_id=row.id, name=row.name, changes=changes), on=by
        )
    return row


async def delete(store: ClientStore, events: EventWriter, by: Origin, client_id: UUID) -> None:
    """Delete a client nothing refers to any more."""
    row = await store.owned(Client, client_id, "client")
    if await store.in_use(row):
        raise Conflict("the client has projects or invoices; delete those first")
    changes = diff(snapshot(row, FIELDS), None)
    await store.delete(row)
    await events.write(
        store.session, ClientDeleted(client_id=row.id, name=row.name, changes=changes), on=by
    )
