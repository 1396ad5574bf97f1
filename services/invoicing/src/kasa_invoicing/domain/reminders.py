"""Which overdue reminder an invoice is owed today.

A workspace reminds at some days after the due date (3 and 14 unless it chose others). On a
given day an unpaid invoice is owed the latest reminder whose day has come, unless that one or
a later one went out already: a reminder missed while nothing ran is caught up once, never
sent twice, and never sent after a later one.
"""

from collections.abc import Iterable
from datetime import date, timedelta

DEFAULT_DAYS = (3, 14)
MAX_DAYS = 365


def check_days(days: Iterable[int]) -> list[int]:
    """The reminder days sorted and without repeats; each from 1 to a year."""
    chosen = sorted(set(days))
    if len(chosen) > 10 or any(day < 1 or day > MAX_DAYS for day in chosen):
        raise ValueError(f"reminder days are from 1 to {MAX_DAYS}, at most ten of them")
    return chosen


def owed(due: date, today: date, days: Iterable[int], sent: Iterable[int]) -> int | None:
    """The reminder day owed on ``today`` for an invoice due on ``due``, given the reminder
    days already ``sent``; ``None`` when none is."""
    come = [day for day in days if due + timedelta(days=day) <= today]
    if not come:
        return None
    latest = max(come)
    if any(day >= latest for day in sent):
        return None
    return latest
