"""The reports' periods, tables and CSV, and the charts they draw: no API, no browser."""

from datetime import date
from decimal import Decimal

import pytest

from kasa_web import charts
from kasa_web.pages.reports import (
    TABLES,
    Period,
    build_report,
    csv_text,
    months_between,
    preset_period,
)

D = Decimal
TODAY = date(2026, 2, 14)


@pytest.mark.parametrize(
    ("preset", "start", "end"),
    [
        ("this_month", date(2026, 2, 1), TODAY),
        ("last_month", date(2026, 1, 1), date(2026, 1, 31)),
        ("this_quarter", date(2026, 1, 1), TODAY),
        ("this_year", date(2026, 1, 1), TODAY),
        ("last_12_months", date(2025, 3, 1), TODAY),
    ],
)
def test_each_preset_covers_whole_months_up_to_today(preset, start, end):
    assert preset_period(preset, TODAY) == (start, end)


def test_last_month_in_january_is_last_december():
    assert preset_period("last_month", date(2027, 1, 5)) == (date(2026, 12, 1), date(2026, 12, 31))


CASH_FLOW = {
    "interval": "month",
    "periods": [
        {
            "period": "2026-01",
            "currency": "CZK",
            "inflow": "1000.00",
            "outflow": "300.50",
            "net": "699.50",
            "by_category": [
                {"category": None, "net": "1000.00", "inflow": "1000.00", "outflow": "0.00"},
                {"category": "=rent", "net": "-300.50", "inflow": "0.00", "outflow": "300.50"},
            ],
        }
    ],
}
POSITION = {
    "currency": "CZK",
    "accounts": "699.50",
    "assets": "0.00",
    "liabilities": "0.00",
    "loans": "0.00",
    "net_worth": "699.50",
}
NET_WORTH = {
    "as_of": "2026-02-14",
    "positions": [POSITION],
    "points": [
        {"as_of": "2026-01-31", "positions": [POSITION]},
        {"as_of": "2026-02-14", "positions": [POSITION]},
    ],
}


def test_the_report_fills_every_month_and_sums_categories():
    period = Period("custom", date(2025, 12, 1), TODAY)
    [czk] = build_report(period, CASH_FLOW, NET_WORTH)
    assert [m.month for m in czk.months] == ["2025-12", "2026-01", "2026-02"]
    assert (czk.inflow, czk.outflow, czk.net) == (D("1000.00"), D("300.50"), D("699.50"))
    assert [(c.category, c.net) for c in czk.categories] == [
        (None, D("1000")),
        ("=rent", D("-300.5")),
    ]
    assert [w.as_of for w in czk.worth] == ["2026-01-31", "2026-02-14"]


def test_the_csv_has_the_tables_figures_and_no_formula():
    period = Period("custom", date(2026, 1, 1), date(2026, 1, 31))
    [czk] = build_report(period, CASH_FLOW, NET_WORTH)
    columns, rows = TABLES["cash-flow-by-category"]
    text = csv_text(columns, rows(czk))
    assert text.splitlines() == [
        "currency,category,inflow,outflow,net",
        "CZK,,1000.00,0.00,1000.00",
        "CZK,'=rent,0.00,300.50,-300.50",
    ]


def test_months_between_counts_each_touched_month():
    assert months_between(date(2026, 11, 30), date(2027, 1, 1)) == ["2026-11", "2026-12", "2027-01"]


def test_paired_bars_share_one_scale_and_a_line_crosses_zero():
    pairs = charts.paired_bars(
        [("Jan", D(100), "100", D(50), "50"), ("Feb", D(0), "0", D(200), "200")]
    )
    assert pairs[0].second.height == pytest.approx(pairs[0].first.height / 2)
    assert pairs[1].first.height == 0
    assert pairs[1].second.height > pairs[0].first.height
    line = charts.line([("Jan", D(-100), "-100"), ("Feb", D(300), "300")])
    low, high = line.points
    assert high.y < line.zero_y < low.y, "positive values above the zero line, negative below"
    assert line.path.startswith("M") and " L" in line.path
