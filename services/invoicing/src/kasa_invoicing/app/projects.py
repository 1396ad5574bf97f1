"""Projects: work for a client, billed at the project's hourly rate or else the client's."""

from collections.abc import Mapping
from typing import Any, Protocol
from uuid import UUID

from kasa_contracts.changes import diff, snapshot
from kasa_contracts.events.invoicing import ProjectCreated, ProjectDeleted, ProjectUpdated
from kasa_invoicing.app.store import Store
from kasa_invoicing.db.tables import Client, Project
from kasa_invoicing.domain.errors import Conflict, Invalid
from kasa_servicekit.db import utcnow
from kasa_servicekit.events import EventWriter, Origin
from kasa_servicekit.ids import new_id

FIELDS = ("client_id", "name", "hourly_rate", "currency", "active")
_REQUIRED = ("name", "active")
"""A change that sends these as null keeps them: a project always has them."""


class ProjectStore(Store, Protocol):
    async def client_of(self, project: Project) -> Client: ...

    async def has_work(self, project: Project) -> bool:
        """Whether any work entry is on the project."""
        ...


async def create(
    store: Store, events: EventWriter, by: Origin, fields: Mapping[str, Any]
) -> tuple[Project, Client]:
    """A project of one of the workspace's clients; the project and its client."""
    client = await store.owned(Client, fields["client_id"], "client")
    now = utcnow()
    row = Project(
        id=new_id(), workspace_id=store.workspace_id, created_at=now, updated_at=now, **fields
    )
    store.add(row)
    await store.flush()
    created = ProjectCreated(
        project_id=row.id,
        client_id=row.client_id,
        name=row.name,
        changes=diff(None, snapshot(row, FIELDS)),
    )
    await events.write(store.session, created, on=by)
    return row, client


async def update(
    store: ProjectStore,
    events: EventWriter,
    by: Origin,
    project_id: UUID,
    fields: Mapping[str, Any],
) -> Project:
    """Change the ``fields`` given; the currency only while no work is billed in the old one."""
    row = await store.owned(Project, project_id, "project")
    before = snapshot(row, FIELDS)
    for name, value in fields.items():
        if value is None and name in _REQUIRED:
            continue
        setattr(row, name, value)
    if row.currency and row.currency != before["currency"] and await store.has_work(row):
        raise Invalid("the currency of a project with work entries cannot change")
    changes = diff(before, snapshot(row, FIELDS))
    if changes:
        row.updated_at = utcnow()
        updated = ProjectUpdated(
            project_id=row.id, client_id=row.client_id, name=row.name, changes=changes
        )
        await events.write(store.session, updated, on=by)
    return row


async def delete(store: ProjectStore, events: EventWriter, by: Origin, project_id: UUID) -> None:
    """Delete a project without work; one with work is deactivated instead."""
    row = await store.owned(Project, project_id, "project")
    if await store.has_work(row):
        raise Conflict("the project has work entries; delete them or deactivate the project")
    changes = diff(snapshot(row, FIELDS), None)
    await store.delete(row)
    deleted = ProjectDeleted(
        project_id=row.id, client_id=row.client_id, name=row.name, changes=changes
    )
    await events.write(store.session, deleted, on=by)
