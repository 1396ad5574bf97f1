"""Reports: cash flow per month and currency, and net worth after what loans still owe."""

from .conftest import bank_movement


async def test_cash_flow_by_month_currency_and_category(ledger):
    await ledger.deliver(bank_movement(external_id="a", booking_date="2026-01-05", amount="1000"))
    await ledger.deliver(
        bank_movement(external_id="b", booking_date="2026-01-20", amount="300", direction="expense")
    )
    await ledger.deliver(bank_movement(external_id="c", booking_date="2026-02-02", amount="50"))
    await ledger.deliver(
        bank_movement(
            external_id="d",
            booking_date="2026-02-03",
            amount="10",
            currency="EUR",
            direction="expense",
        )
    )
    await ledger.deliver(bank_movement(external_id="late", booking_date="2026-04-01"))
    b = await ledger.transaction("b")
    await ledger.http.patch(f"/api/v1/transactions/{b['id']}", json={"category": "rent"})
    c = await ledger.transaction("c")
    await ledger.http.post(f"/api/v1/transactions/{c['id']}/void", json={"reason": "bounced"})

    report = await ledger.http.get(
        "/api/v1/reports/cash-flow", params={"from": "2026-01-01", "to": "2026-03-31"}
    )
    assert report.status_code == 200, report.text
    periods = {(p["period"], p["currency"]): p for p in report.json()["periods"]}
    assert set(periods) == {("2026-01", "CZK"), ("2026-02", "CZK"), ("2026-02", "EUR")}
    january = periods[("2026-01", "CZK")]
    assert (january["inflow"], january["outflow"], january["net"]) == (
        "1000.00",
        "300.00",
        "700.00",
    )
    assert {c["category"]: c["net"] for c in january["by_category"]} == {
        None: "1000.00",
        "rent": "-300.00",
    }
    assert periods[("2026-02", "CZK")]["net"] == "0.00", "a voided income nets to nothing"
    assert periods[("2026-02", "EUR")]["outflow"] == "10.00"
    backwards = await ledger.http.get(
        "/api/v1/reports/cash-flow", params={"from": "2026-03-01", "to": "2026-01-01"}
    )
    assert backwards.status_code == 422


async def test_net_worth_is_accounts_minus_what_loans_still_owe(ledger):
    await ledger.deliver(bank_movement(external_id="a", booking_date="2026-01-05", amount="150000"))
    loan = {
        "name": "Car",
        "principal": "100000",
        "currency": "CZK",
        "annual_rate": "6",
        "term_months": 12,
        "first_due": "2026-01-31",
    }
    assert (await ledger.http.post("/api/v1/loans", json=loan)).status_code == 201
    before = await ledger.http.get("/api/v1/reports/net-worth", params={"as_of": "2026-01-10"})
    assert before.json()["positions"] == [
        {
            "currency": "CZK",
            "accounts": "150000.00",
            "assets": "0.00",
            "liabilities": "0.00",
            "loans": "100000.00",
            "net_worth": "50000.00",
        }
    ]
    after_one = await ledger.http.get("/api/v1/reports/net-worth", params={"as_of": "2026-02-01"})
    assert after_one.json()["positions"][0]["loans"] == "91893.36"
