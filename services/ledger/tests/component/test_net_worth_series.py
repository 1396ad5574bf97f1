"""Net worth over time: one answer with a point at the end of each month."""

from .conftest import bank_movement


async def test_the_series_has_a_point_per_month_end_and_agrees_with_each_day(ledger):
    await ledger.deliver(bank_movement(external_id="a", booking_date="2026-01-05", amount="5000"))
    await ledger.deliver(
        bank_movement(
            external_id="b", booking_date="2026-02-10", amount="1200", direction="expense"
        )
    )
    car = await ledger.http.post(
        "/api/v1/assets",
        json={
            "name": "Car",
            "currency": "CZK",
            "value": {"valued_on": "2026-02-01", "value": "300000"},
        },
    )
    await ledger.http.post(
        f"/api/v1/assets/{car.json()['id']}/close",
        json={"closed_on": "2026-03-15", "reason": "sold"},
    )
    await ledger.http.post(
        "/api/v1/loans",
        json={
            "name": "Laptop",
            "principal": "12000",
            "currency": "CZK",
            "annual_rate": "0",
            "term_months": 12,
            "first_due": "2026-01-31",
        },
    )
    answer = await ledger.http.get(
        "/api/v1/reports/net-worth", params={"from": "2026-01-10", "to": "2026-03-20"}
    )
    assert answer.status_code == 200, answer.text
    series = answer.json()
    assert series["interval"] == "month"
    assert [p["as_of"] for p in series["points"]] == ["2026-01-31", "2026-02-28", "2026-03-20"]
    assert [p["positions"][0]["net_worth"] for p in series["points"]] == [
        "-6000.00",  # 5000 on the account, 11000 still owed
        "293800.00",  # 3800 + the car, 10000 owed
        "-6200.00",  # the car was sold on 15 March; March's installment is due on the 31st
    ]
    assert series["as_of"] == "2026-03-20"
    assert series["positions"] == series["points"][-1]["positions"]
    for point in series["points"]:
        day = await ledger.http.get("/api/v1/reports/net-worth", params={"as_of": point["as_of"]})
        assert day.json() == {"as_of": point["as_of"], "positions": point["positions"]}


async def test_a_series_needs_both_ends_and_at_most_ten_years(ledger):
    def asked(**params):
        return ledger.http.get("/api/v1/reports/net-worth", params=params)

    assert (await asked(**{"from": "2026-01-01"})).status_code == 422
    assert (await asked(**{"from": "2026-02-01", "to": "2026-01-01"})).status_code == 422
    both = await asked(**{"from": "2026-01-01", "to": "2026-02-01", "as_of": "2026-01-01"})
    assert both.status_code == 422
    assert (await asked(**{"from": "2000-01-01", "to": "2026-01-01"})).status_code == 422
    assert (await asked(**{"from": "2017-01-01", "to": "2026-12-31"})).status_code == 200
