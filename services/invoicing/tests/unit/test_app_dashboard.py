"""The dashboard use case on rows in memory: rates fall back, currencies stay apart."""

from datetime import date
from decimal import Decimal

import pytest

from kasa_invoicing.app.dashboard import dashboard
from kasa_invoicing.db.tables import Client, Project, WorkEntry
from kasa_invoicing.domain.dashboard import period
from kasa_invoicing.domain.errors import Invalid


class DashboardRows:
    def __init__(self, rows):
        self.memory = rows

    async def clients(self):
        return self.memory.all(Client)

    async def projects(self):
        return self.memory.all(Project)

    async def work(self, start, end):
        return [e for e in self.memory.all(WorkEntry) if start <= e.work_date <= end]

    async def issued(self):
        return []

    async def payments(self, start, end):
        return []


async def test_unbilled_work_is_priced_at_the_projects_or_the_clients_rate(rows):
    crowns = rows.client(hourly_rate=Decimal(1000))
    euros = rows.client(currency="EUR", hourly_rate=Decimal(50))
    rows.entry(rows.project(crowns), "2026-02-02", minutes=30)  # 500 CZK at the client's
    rows.entry(rows.project(crowns, hourly_rate=Decimal(2000)), "2026-02-03", minutes=30)
    rows.entry(rows.project(euros), "2026-02-04", minutes=60, billable=False)

    board = await dashboard(
        DashboardRows(rows), date(2026, 1, 1), date(2026, 3, 31), date(2026, 4, 1)
    )

    assert board.currencies["CZK"].unbilled == Decimal("1500.00")
    assert "EUR" not in board.currencies, "unbillable work is worth nothing"
    assert (board.minutes_tracked, board.minutes_billable) == (120, 60)


def test_the_period_defaults_to_this_year_and_is_bounded():
    today = date(2026, 5, 6)
    assert period(None, None, today) == (date(2026, 1, 1), today)
    assert period(None, date(2025, 3, 1), today) == (date(2025, 1, 1), date(2025, 3, 1))
    with pytest.raises(Invalid, match="from must not be after to"):
        period(date(2026, 2, 1), date(2026, 1, 1), today)
    with pytest.raises(Invalid, match="at most ten years"):
        period(date(2010, 1, 1), date(2026, 1, 1), today)
