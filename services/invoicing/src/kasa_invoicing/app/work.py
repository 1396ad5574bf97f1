"""Work entries (time or a fixed amount) and the timer, a running clock that becomes one."""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol
from uuid import UUID

from kasa_contracts.changes import diff, snapshot
from kasa_contracts.events.invoicing import WorkEntryCreated, WorkEntryDeleted, WorkEntryUpdated
from kasa_invoicing.app.store import Store
from kasa_invoicing.db.tables import Project, WorkEntry
from kasa_invoicing.domain.work import (
    TimerConflict,
    check_measured,
    check_open,
    stopped_minutes,
)
from kasa_servicekit.db import utcnow
from kasa_servicekit.events import EventWriter, Origin
from kasa_servicekit.ids import new_id

FIELDS = (
    "project_id",
    "work_date",
    "minutes",
    "fixed_amount",
    "description",
    "billable",
    "started_at",
)
_REQUIRED = ("project_id", "work_date", "billable", "description")
"""A change that sends these as null keeps them: an entry always has them."""


class WorkStore(Store, Protocol):
    async def running(self, *, lock: bool = False) -> WorkEntry | None:
        """The workspace's running timer, if one runs."""
        ...


async def _created(store: Store, events: EventWriter, by: Origin, row: WorkEntry) -> None:
    store.add(row)
    await store.flush()
    created = WorkEntryCreated(
        work_entry_id=row.id, project_id=row.project_id, changes=diff(None, snapshot(row, FIELDS))
    )
    await events.write(store.session, created, on=by)


async def create_entry(
    store: Store, events: EventWriter, by: Origin, fields: Mapping[str, Any]
) -> WorkEntry:
    """Record work on one of the workspace's projects, for that project's client."""
    project = await store.owned(Project, fields["project_id"], "project")
    now = utcnow()
    row = WorkEntry(
        id=new_id(),
        workspace_id=store.workspace_id,
        client_id=project.client_id,
        invoice_id=None,
        started_at=None,
        created_at=now,
        updated_at=now,
        **fields,
    )
    await _created(store, events, by, row)
    return row


async def update_entry(
    store: Store, events: EventWriter, by: Origin, entry_id: UUID, fields: Mapping[str, Any]
) -> WorkEntry:
    """Change an entry that is on no invoice; time and a fixed amount replace each other."""
    row = await store.owned(WorkEntry, entry_id, "work entry", lock=True)
    check_open(row)
    before = snapshot(row, FIELDS)
    if fields.get("project_id") is not None:
        project = await store.owned(Project, fields["project_id"], "project")
        row.client_id = project.client_id
    if fields.get("minutes") is not None:
        row.fixed_amount = None
    if fields.get("fixed_amount") is not None:
        row.minutes = None
    for name, value in fields.items():
        if value is None and name in _REQUIRED:
            continue
        setattr(row, name, value)
    check_measured(row)
    changes = diff(before, snapshot(row, FIELDS))
    if changes:
        row.updated_at = utcnow()
        updated = WorkEntryUpdated(work_entry_id=row.id, project_id=row.project_id, changes=changes)
        await events.write(store.session, updated, on=by)
    return row


async def delete_entry(store: Store, events: EventWriter, by: Origin, entry_id: UUID) -> None:
    row = await store.owned(WorkEntry, entry_id, "work entry", lock=True)
    check_open(row)
    changes = diff(snapshot(row, FIELDS), None)
    await store.delete(row)
    deleted = WorkEntryDeleted(work_entry_id=row.id, project_id=row.project_id, changes=changes)
    await events.write(store.session, deleted, on=by)


@dataclass(frozen=True)
class TimerStart:
    project_id: UUID
    description: str = ""
    billable: bool = True
    switch: bool = False
    """Stop a running timer first, in the same transaction; otherwise it is a conflict."""


async def start_timer(
    store: WorkStore,
    events: EventWriter,
    by: Origin,
    start: TimerStart,
    now: datetime | None = None,
) -> WorkEntry:
    """Start the clock on a project: a new entry without minutes, started now."""
    now = now or utcnow()
    project = await store.owned(Project, start.project_id, "project")
    running = await store.running(lock=True)
    if running is not None:
        if not start.switch:
            raise TimerConflict("a timer is already running; stop it first")
        await _stop(store, events, by, running, now)
    row = WorkEntry(
        id=new_id(),
        workspace_id=store.workspace_id,
        project_id=project.id,
        client_id=project.client_id,
        work_date=now.date(),
        minutes=None,
        fixed_amount=None,
        description=start.description,
        billable=start.billable,
        invoice_id=None,
        started_at=now,
        created_at=now,
        updated_at=now,
    )
    await _created(store, events, by, row)
    return row


async def stop_timer(
    store: WorkStore, events: EventWriter, by: Origin, now: datetime | None = None
) -> WorkEntry:
    """Stop the clock: the entry gets the elapsed minutes, rounded up, at most a day."""
    row = await store.running(lock=True)
    if row is None:
        raise TimerConflict("no timer is running")
    await _stop(store, events, by, row, now or utcnow())
    return row


async def _stop(
    store: Store, events: EventWriter, by: Origin, row: WorkEntry, now: datetime
) -> None:
    assert row.started_at is not None
    before = snapshot(row, FIELDS)
    row.minutes = stopped_minutes(row.started_at, now)
    row.updated_at = now
    updated = WorkEntryUpdated(
        work_entry_id=row.id,
        project_id=row.project_id,
        changes=diff(before, snapshot(row, FIELDS)),
    )
    await events.write(store.session, updated, on=by)
    # The next timer may start in the same transaction: it must see this one stopped.
    await store.flush()
