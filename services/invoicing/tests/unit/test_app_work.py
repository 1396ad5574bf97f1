"""Work entries and the timer in memory: locking, time versus amount, the clock's minutes."""

import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from kasa_contracts.events.invoicing import WorkEntryCreated, WorkEntryDeleted, WorkEntryUpdated
from kasa_invoicing.app import work
from kasa_invoicing.app.work import TimerStart
from kasa_invoicing.db.tables import WorkEntry
from kasa_invoicing.domain.errors import Invalid, NotFound
from kasa_invoicing.domain.work import EntryLocked, TimerConflict

NINE = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def project(rows):
    return rows.project(rows.client())


async def test_an_entry_is_for_its_projects_client(rows, events, member, project):
    fields = {"project_id": project.id, "work_date": date(2026, 3, 2), "minutes": 90}
    entry = await work.create_entry(rows, events, member, fields | {"description": "x"})
    assert (entry.client_id, entry.invoice_id, entry.started_at) == (project.client_id, None, None)
    [created] = events.payloads(WorkEntryCreated)
    assert created.changes["minutes"].after == 90
    with pytest.raises(NotFound, match="project does not exist"):
        await work.create_entry(rows, events, member, fields | {"project_id": uuid.uuid4()})


async def test_time_and_a_fixed_amount_replace_each_other(rows, events, member, project):
    entry = rows.entry(project, minutes=60)
    await work.update_entry(rows, events, member, entry.id, {"fixed_amount": Decimal(500)})
    assert (entry.minutes, entry.fixed_amount) == (None, Decimal(500))
    await work.update_entry(rows, events, member, entry.id, {"minutes": 30})
    assert (entry.minutes, entry.fixed_amount) == (30, None)
    first, second = events.payloads(WorkEntryUpdated)
    assert set(first.changes) == set(second.changes) == {"minutes", "fixed_amount"}


async def test_a_change_to_nothing_is_refused_and_no_change_is_no_event(
    rows, events, member, project
):
    emptied = rows.entry(project, minutes=60)
    with pytest.raises(Invalid, match="needs minutes or a fixed amount"):
        await work.update_entry(rows, events, member, emptied.id, {"minutes": None})
    entry = rows.entry(project, minutes=60)
    await work.update_entry(rows, events, member, entry.id, {"description": None})
    assert entry.description == "work" and events.written == []


async def test_an_entry_on_an_invoice_is_locked(rows, events, member, project):
    entry = rows.entry(project, minutes=60, invoice_id=uuid.uuid4())
    with pytest.raises(EntryLocked, match="on an invoice and locked"):
        await work.update_entry(rows, events, member, entry.id, {"minutes": 30})
    with pytest.raises(EntryLocked):
        await work.delete_entry(rows, events, member, entry.id)
    entry.invoice_id = None
    await work.delete_entry(rows, events, member, entry.id)
    assert rows.all(WorkEntry) == [] and len(events.payloads(WorkEntryDeleted)) == 1


async def test_a_stopped_timer_records_the_minutes_rounded_up(rows, events, member, project):
    started = await work.start_timer(rows, events, member, TimerStart(project.id), now=NINE)
    assert (started.minutes, started.started_at, started.work_date) == (None, NINE, NINE.date())

    stopped = await work.stop_timer(rows, events, member, now=NINE + timedelta(seconds=61))

    assert stopped is started and stopped.minutes == 2
    with pytest.raises(TimerConflict, match="no timer is running"):
        await work.stop_timer(rows, events, member)


@pytest.mark.parametrize(
    ("elapsed", "minutes"),
    [(timedelta(seconds=5), 1), (timedelta(minutes=30), 30), (timedelta(hours=30), 24 * 60)],
)
async def test_a_timer_bills_at_least_a_minute_and_at_most_a_day(
    rows, events, member, project, elapsed, minutes
):
    await work.start_timer(rows, events, member, TimerStart(project.id), now=NINE)
    assert (await work.stop_timer(rows, events, member, now=NINE + elapsed)).minutes == minutes


async def test_one_timer_runs_unless_the_start_switches(rows, events, member, project):
    first = await work.start_timer(rows, events, member, TimerStart(project.id), now=NINE)
    with pytest.raises(TimerConflict, match="already running"):
        await work.start_timer(rows, events, member, TimerStart(project.id))
    assert first.minutes is None

    later = NINE + timedelta(minutes=10)
    second = await work.start_timer(
        rows, events, member, TimerStart(project.id, "Hotline", switch=True), now=later
    )

    assert first.minutes == 10 and second.description == "Hotline"
    assert await rows.running() is second
    assert [e.work_entry_id for e in events.payloads(WorkEntryUpdated)] == [first.id]


async def test_a_switch_to_an_unknown_project_leaves_the_timer_running(
    rows, events, member, project
):
    running = await work.start_timer(rows, events, member, TimerStart(project.id), now=NINE)
    with pytest.raises(NotFound):
        await work.start_timer(rows, events, member, TimerStart(uuid.uuid4(), switch=True))
    assert running.minutes is None and await rows.running() is running
