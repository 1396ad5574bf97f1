"""Work entries: time or a fixed amount, locked while on an invoice; the timer's clock."""

import math
from datetime import datetime
from decimal import Decimal
from typing import Protocol
from uuid import UUID

from kasa_invoicing.domain.errors import Conflict, Invalid

MAX_MINUTES = 24 * 60


class EntryLocked(Conflict):
    """The work entry is on an invoice; it changes only once that invoice lets it go."""


class TimerConflict(Conflict):
    """A timer is running where none may, or none is running where one must."""


class Entry(Protocol):
    @property
    def id(self) -> UUID: ...
    @property
    def client_id(self) -> UUID: ...
    @property
    def invoice_id(self) -> UUID | None: ...
    @property
    def billable(self) -> bool: ...
    @property
    def minutes(self) -> int | None: ...
    @property
    def fixed_amount(self) -> Decimal | None: ...
    @property
    def started_at(self) -> datetime | None: ...


def check_open(entry: Entry) -> None:
    if entry.invoice_id is not None:
        raise EntryLocked("the work entry is on an invoice and locked")


def check_measured(entry: Entry) -> None:
    """An entry says what it is worth: minutes, a fixed amount, or a running timer's start."""
    if entry.minutes is None and entry.fixed_amount is None and entry.started_at is None:
        raise Invalid("a work entry needs minutes or a fixed amount")


def is_running(entry: Entry) -> bool:
    return entry.started_at is not None and entry.minutes is None


def check_invoiceable(entry: Entry, client_id: UUID) -> None:
    """A chosen entry can go on the client's invoice: theirs, free, billable and finished."""
    if entry.client_id != client_id:
        raise Invalid(f"work entry {entry.id} belongs to another client")
    if entry.invoice_id is not None:
        raise EntryLocked(f"work entry {entry.id} is already on an invoice")
    if not entry.billable:
        raise Invalid(f"work entry {entry.id} is not billable")
    if entry.minutes is None and entry.fixed_amount is None:
        raise Invalid(f"work entry {entry.id} has a running timer")


def stopped_minutes(started_at: datetime, now: datetime) -> int:
    """The minutes a stopped timer records: the elapsed time rounded up, at least one, at
    most a day (a timer forgotten overnight does not bill the night)."""
    elapsed = math.ceil((now - started_at).total_seconds() / 60)
    return min(max(elapsed, 1), MAX_MINUTES)
