"""Assets and liabilities with a value history, counted in net worth."""

from uuid import uuid4

from .conftest import bank_movement


async def test_assets_and_liabilities_keep_their_history_and_count_in_net_worth(ledger):
    car = await ledger.http.post(
        "/api/v1/assets",
        json={
            "name": "Car",
            "kind": "vehicle",
            "currency": "CZK",
            "value": {"valued_on": "2026-01-01", "value": "300000"},
        },
    )
    assert car.status_code == 201, car.text
    car_id = car.json()["id"]
    revalued = await ledger.http.post(
        f"/api/v1/assets/{car_id}/values", json={"valued_on": "2026-06-30", "value": "270000"}
    )
    assert revalued.json()["value"] == "270000.00"
    assert [v["value"] for v in revalued.json()["history"]] == ["300000.00", "270000.00"]
    card = await ledger.http.post(
        "/api/v1/liabilities",
        json={
            "name": "Card",
            "kind": "credit_card",
            "currency": "CZK",
            "value": {"valued_on": "2026-02-01", "value": "12000"},
        },
    )
    assert card.status_code == 201, card.text
    wrong_kind = await ledger.http.post(
        "/api/v1/liabilities", json={"name": "x", "kind": "vehicle", "currency": "CZK"}
    )
    assert wrong_kind.status_code == 422
    await ledger.deliver(bank_movement(external_id="a", booking_date="2026-01-05", amount="5000"))

    def position(response):
        [only] = response.json()["positions"]
        return only

    march = position(
        await ledger.http.get("/api/v1/reports/net-worth", params={"as_of": "2026-03-01"})
    )
    assert march == {
        "currency": "CZK",
        "accounts": "5000.00",
        "assets": "300000.00",
        "liabilities": "12000.00",
        "loans": "0.00",
        "net_worth": "293000.00",
    }
    july = position(
        await ledger.http.get("/api/v1/reports/net-worth", params={"as_of": "2026-07-01"})
    )
    assert july["assets"] == "270000.00", "the value on that day, not the first one"
    stranger = ledger.issuer.headers(uuid4())
    assert (await ledger.http.get(f"/api/v1/assets/{car_id}", headers=stranger)).status_code == 404
    assert (await ledger.http.get(f"/api/v1/liabilities/{car_id}")).status_code == 404


async def test_a_closed_asset_stops_counting_from_its_closing_day_and_takes_no_more_values(
    ledger,
):
    flat = await ledger.http.post(
        "/api/v1/assets",
        json={
            "name": "Flat",
            "kind": "property",
            "currency": "CZK",
            "value": {"valued_on": "2026-01-01", "value": "4000000"},
        },
    )
    flat_id = flat.json()["id"]
    await ledger.http.post(
        f"/api/v1/assets/{flat_id}/values", json={"valued_on": "2026-03-01", "value": "4100000"}
    )
    viewer = ledger.issuer.headers(ledger.workspace_id, role="viewer")
    refused = await ledger.http.post(
        f"/api/v1/assets/{flat_id}/close",
        json={"closed_on": "2026-05-01", "reason": "sold"},
        headers=viewer,
    )
    assert refused.status_code == 403
    too_early = await ledger.http.post(
        f"/api/v1/assets/{flat_id}/close", json={"closed_on": "2026-02-01", "reason": "sold"}
    )
    assert too_early.status_code == 409, "it has a value after that day"
    closed = await ledger.http.post(
        f"/api/v1/assets/{flat_id}/close", json={"closed_on": "2026-05-01", "reason": "sold"}
    )
    assert closed.status_code == 200, closed.text
    assert closed.json()["closed_on"] == "2026-05-01"
    assert closed.json()["close_reason"] == "sold"
    assert [v["value"] for v in closed.json()["history"]] == ["4000000.00", "4100000.00"]

    def assets_on(response):
        return [p["assets"] for p in response.json()["positions"]]

    before = await ledger.http.get("/api/v1/reports/net-worth", params={"as_of": "2026-04-30"})
    assert assets_on(before) == ["4100000.00"]
    on_the_day = await ledger.http.get("/api/v1/reports/net-worth", params={"as_of": "2026-05-01"})
    assert assets_on(on_the_day) == [], "nothing else is held in CZK"

    again = await ledger.http.post(
        f"/api/v1/assets/{flat_id}/close", json={"closed_on": "2026-06-01", "reason": "sold"}
    )
    assert again.status_code == 409
    valued = await ledger.http.post(
        f"/api/v1/assets/{flat_id}/values", json={"valued_on": "2026-06-01", "value": "1"}
    )
    assert valued.status_code == 409
    # Closing before the closing day is still history: a value before it is recorded.
    earlier = await ledger.http.post(
        f"/api/v1/assets/{flat_id}/values", json={"valued_on": "2026-04-01", "value": "4200000"}
    )
    assert earlier.status_code == 201
    stranger = ledger.issuer.headers(uuid4())
    foreign = await ledger.http.post(
        f"/api/v1/assets/{flat_id}/close",
        json={"closed_on": "2026-06-01", "reason": "x"},
        headers=stranger,
    )
    assert foreign.status_code == 404
