"""The time and client pages' own logic: weeks, durations, amounts and request bodies."""

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest

from kasa_web.forms import Form
from kasa_web.pages import clients, time

PROJECT = "0190a000-0000-7000-8000-0000000000a1"
FIXED_PROJECT = "0190a000-0000-7000-8000-0000000000a2"
CLIENT = "0190a000-0000-7000-8000-0000000000c1"
PROJECTS = {
    PROJECT: {
        "id": PROJECT,
        "client_id": CLIENT,
        "name": "Website",
        "active": True,
        "effective_hourly_rate": "1500.00",
        "effective_currency": "CZK",
    },
    FIXED_PROJECT: {
        "id": FIXED_PROJECT,
        "client_id": CLIENT,
        "name": "Hosting",
        "active": False,
        "effective_hourly_rate": None,
        "effective_currency": "EUR",
    },
}
CLIENTS = {CLIENT: {"id": CLIENT, "name": "Acme s.r.o."}}


def entry(day: str, **fields: Any) -> dict[str, Any]:
    return {
        "id": f"e-{day}-{len(fields)}-{fields.get('minutes')}",
        "project_id": PROJECT,
        "client_id": CLIENT,
        "work_date": day,
        "minutes": None,
        "fixed_amount": None,
        "description": "",
        "billable": True,
        "running": False,
        "created_at": f"{day}T10:00:00Z",
        **fields,
    }


@pytest.mark.parametrize(
    ("week", "start", "expected"),
    [
        ("2026-W49", None, date(2026, 11, 30)),
        ("2026-W01", None, date(2025, 12, 29)),
        (None, "2026-12-03", date(2026, 11, 30)),
        (None, "2026-11-30", date(2026, 11, 30)),
        (None, "2026-12-06", date(2026, 11, 30)),
        ("2026-W60", None, date(2026, 3, 2)),
        ("next", "not a date", date(2026, 3, 2)),
        (None, None, date(2026, 3, 2)),
    ],
)
def test_a_week_starts_on_the_monday_of_the_week_asked_for(week, start, expected) -> None:
    assert time.week_start(week, start, date(2026, 3, 4)) == expected


def test_iso_weeks_round_trip_across_the_new_year() -> None:
    assert time.iso_week(date(2026, 12, 31)) == "2026-W53"
    assert time.iso_week(date(2027, 1, 4)) == "2027-W01"
    assert time.week_start(time.iso_week(date(2027, 1, 1)), None, date.today()) == date(
        2026, 12, 28
    )


@pytest.mark.parametrize(
    ("typed", "minutes"),
    [
        ("90", 90),
        ("1:30", 90),
        ("0:05", 5),
        ("10:00", 600),
        ("1.5", 90),
        ("1,25", 75),
        ("2h", 120),
        ("1h 30m", 90),
        ("1h30", None),
        ("45 min", 45),
        ("45m", 45),
        ("1:75", None),
        ("an hour", None),
        ("", None),
        (None, None),
    ],
)
def test_a_duration_is_minutes_or_hours_and_minutes(typed, minutes) -> None:
    assert time.parse_duration(typed) == minutes


def test_time_is_worth_its_minutes_at_the_rate_rounded_half_up_like_invoice_lines() -> None:
    project = PROJECTS[PROJECT] | {"effective_hourly_rate": "1000.00"}
    assert time.entry_amount(entry("2026-03-02", minutes=1), project) == Decimal("16.67")
    assert time.entry_amount(entry("2026-03-02", minutes=90), project) == Decimal("1500.00")
    assert time.entry_amount(entry("2026-03-02", fixed_amount="450.5"), project) == Decimal("450.5")
    assert time.entry_amount(entry("2026-03-02", minutes=60), PROJECTS[FIXED_PROJECT]) is None
    assert time.round_money(Decimal("10.5"), "JPY") == Decimal("11")


def test_the_week_groups_entries_by_day_and_totals_hours_and_each_currency() -> None:
    entries = [
        entry("2026-03-04", minutes=30, description="later"),
        entry("2026-03-02", minutes=90, description="review"),
        entry("2026-03-02", minutes=15, billable=False),
        entry("2026-03-04", fixed_amount="100", project_id=FIXED_PROJECT),
        entry("2026-03-04", running=True, started_at="2026-03-04T08:00:00Z"),
        entry("2026-03-09", minutes=60),
    ]
    week = time.build_week(date(2026, 3, 2), entries, PROJECTS, CLIENTS)

    assert [d.date.day for d in week.days] == [2, 3, 4, 5, 6, 7, 8]
    monday, _, wednesday, *_ = week.days
    assert [r.entry["description"] for r in monday.rows] == ["review", ""]
    assert monday.totals.minutes == 105 and monday.totals.billable_minutes == 90
    assert monday.totals.amounts == {"CZK": Decimal("2625.00")}
    assert len(wednesday.rows) == 2, "the running timer is not an entry of the week yet"
    assert wednesday.totals.amounts == {"CZK": Decimal("750.00"), "EUR": Decimal("100")}
    assert week.totals.minutes == 135 and week.totals.billable_minutes == 120
    assert week.totals.amounts == {"CZK": Decimal("3375.00"), "EUR": Decimal("100")}
    assert week.entry_count == 4
    assert wednesday.rows[1].client == CLIENTS[CLIENT]


def test_the_project_picker_groups_active_projects_under_their_client() -> None:
    projects = list(PROJECTS.values())
    assert time.project_groups(projects, CLIENTS) == [("Acme s.r.o.", [(PROJECT, "Website")])]
    kept = time.project_groups(projects, CLIENTS, keep=FIXED_PROJECT)
    assert kept == [("Acme s.r.o.", [(FIXED_PROJECT, "Hosting"), (PROJECT, "Website")])]


def test_a_new_entry_defaults_to_the_last_project_used_or_the_only_one() -> None:
    projects = list(PROJECTS.values())
    assert time.default_project(projects) == PROJECT, "the only active one"
    assert time.default_project(projects, entry("2026-03-02", project_id=FIXED_PROJECT)) == PROJECT
    two = [*projects, PROJECTS[PROJECT] | {"id": "other"}]
    assert time.default_project(two) is None
    assert time.default_project(two, entry("2026-03-02", project_id="other")) == "other"


def test_the_clock_shows_the_time_since_the_timer_started() -> None:
    now = datetime(2026, 3, 2, 10, 0, 5, tzinfo=UTC)
    assert time.elapsed("2026-03-02T08:58:00Z", now) == "1:02:05"
    assert time.elapsed("2026-03-02T10:00:09+00:00", now) == "0:00:00"
    assert time.elapsed(None, now) == ""


def test_a_time_entry_sends_minutes_and_clears_the_fixed_amount() -> None:
    form = Form(
        values={
            "kind": "time",
            "project_id": PROJECT,
            "work_date": "2026-03-02",
            "duration": "1:45",
            "fixed_amount": "999",
            "description": "  Review ",
            "billable": "on",
        }
    )
    assert time.entry_body(form) == {
        "project_id": PROJECT,
        "work_date": "2026-03-02",
        "description": "Review",
        "billable": True,
        "minutes": 105,
        "fixed_amount": None,
    }
    assert form.valid


def test_a_fixed_entry_takes_an_amount_typed_the_czech_way() -> None:
    form = Form(
        values={
            "kind": "fixed",
            "project_id": PROJECT,
            "work_date": "2026-03-02",
            "fixed_amount": "1 200,50",
        }
    )
    body = time.entry_body(form)
    assert body["fixed_amount"] == "1200.50" and body["minutes"] is None
    assert body["billable"] is False
    assert form.valid


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"kind": "time", "duration": ""}, "duration"),
        ({"kind": "time", "duration": "soon"}, "duration"),
        ({"kind": "time", "duration": "25:00"}, "duration"),
        ({"kind": "fixed", "fixed_amount": ""}, "fixed_amount"),
        ({"kind": "fixed", "fixed_amount": "12.3.4"}, "fixed_amount"),
        ({"kind": "time", "duration": "1:00", "project_id": ""}, "project_id"),
        ({"kind": "time", "duration": "1:00", "work_date": ""}, "work_date"),
    ],
)
def test_an_entry_the_page_can_tell_is_wrong_gets_an_error_beside_its_field(values, field) -> None:
    form = Form(values={"project_id": PROJECT, "work_date": "2026-03-02", **values})
    time.entry_body(form)
    assert list(form.errors) == [field]


def test_an_edit_form_starts_from_the_entry_as_it_is() -> None:
    form = time.entry_form(entry("2026-03-02", minutes=135, description="Call"))
    assert form.values["kind"] == "time" and form.values["duration"] == "2:15"
    assert form.values["billable"] == "on"
    fixed = time.entry_form(entry("2026-03-02", fixed_amount="450.00", billable=False))
    assert fixed.values["kind"] == "fixed" and fixed.values["fixed_amount"] == "450.00"
    assert fixed.values["duration"] == "" and fixed.values["billable"] == ""


def test_a_client_form_sends_empty_fields_as_no_value() -> None:
    form = Form(
        values={
            "name": " Acme ",
            "email": "",
            "country": "cz",
            "currency": "EUR",
            "language": "cs",
            "payment_terms_days": "",
            "hourly_rate": "1 500,5",
        }
    )
    body = clients.client_body(form)
    assert body["name"] == "Acme" and body["email"] is None and body["country"] == "CZ"
    assert body["payment_terms_days"] is None and body["hourly_rate"] == "1500.5"
    assert form.valid


def test_a_project_form_with_a_prefix_reads_its_own_fields() -> None:
    form = Form(values={"p_name": "Web", "p_hourly_rate": "lots", "p_currency": ""})
    body = clients.project_body(form, "p_")
    assert body == {"name": "Web", "hourly_rate": "lots", "currency": None, "active": False}
    assert list(form.errors) == ["p_hourly_rate"]
    assert clients.project_aliases("p_")["hourly_rate"] == "p_hourly_rate"


def test_countries_are_named_in_the_page_language_without_regions() -> None:
    czech = dict(clients.countries("cs"))
    assert czech["CZ"] == "Česko" and "EU" not in czech and "001" not in czech
    assert dict(clients.countries("en"))["DE"] == "Germany"
    assert clients.currency_options("JPY")[-1] == ("JPY", "JPY")
