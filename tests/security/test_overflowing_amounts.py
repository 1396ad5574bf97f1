"""Overflowing amounts are 422 problems naming the field, never 5xx, and nothing is stored.

Each accepted amount fits (at most 14 digits before the point), but what is computed from them
did not: quantity x unit price on an invoice line (``decimal.InvalidOperation`` when rounded,
or SQLite's ``OverflowError`` when stored), minutes x hourly rate, the total of many lines or
its VAT (an issued invoice's event refused it), and a holding's value had no bound at all.
Driven through the invoicing and ledger apps on SQLite with a table of hostile bodies.
"""

import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
from fastapi.testclient import TestClient

from kasa_servicekit.testing import served

MAX = "99999999999999.9999"
SUPPLIER = {"name": "Jana", "iban": "CZ6508000000192000145399", "number_format": "{year}-{seq}"}


@dataclass
class Api:
    client: TestClient
    headers: dict[str, str]

    def call(self, method: str, path: str, **kwargs: Any) -> Any:
        return self.client.request(method, path, headers=self.headers, **kwargs)

    def ok(self, method: str, path: str, status: int = 200, **kwargs: Any) -> Any:
        response = self.call(method, path, **kwargs)
        assert response.status_code == status, response.text
        return response.json() if response.content else None


def _service(name: str, tmp_path, monkeypatch) -> Iterator[Callable[[], Api]]:
    module = __import__(f"kasa_{name}.main", fromlist=["build"])
    with served(module.build, tmp_path, monkeypatch, raise_server_exceptions=False) as app:
        yield lambda: Api(app.client, app.issuer.headers(uuid.uuid4()))


@pytest.fixture
def invoicing(tmp_path, monkeypatch) -> Iterator[Callable[[], Api]]:
    yield from _service("invoicing", tmp_path, monkeypatch)


@pytest.fixture
def ledger(tmp_path, monkeypatch) -> Iterator[Callable[[], Api]]:
    yield from _service("ledger", tmp_path, monkeypatch)


def client_with_work(api: Api, rate: str, days: int = 1) -> tuple[str, str, list[str]]:
    """A client billed at ``rate`` an hour and a project with a full day of work per day."""
    api.ok("PUT", "/api/v1/supplier", json=SUPPLIER)
    acme = api.ok(
        "POST",
        "/api/v1/clients",
        201,
        json={"name": "Acme", "currency": "CZK", "hourly_rate": rate},
    )
    web = api.ok("POST", "/api/v1/projects", 201, json={"client_id": acme["id"], "name": "Web"})
    entries = [
        api.ok(
            "POST",
            "/api/v1/work-entries",
            201,
            json={"project_id": web["id"], "work_date": f"2026-03-{d + 1:02d}", "minutes": 1440},
        )["id"]
        for d in range(days)
    ]
    return acme["id"], web["id"], entries


def line(quantity: str, unit_price: str) -> dict[str, str]:
    return {"description": "Licence", "quantity": quantity, "unit_price": unit_price}


# (name, setup -> (method, path, body), the field the problem must name)
INVOICING_CASES: list[tuple[str, Callable[[Api], tuple[str, str, Any]], list[Any]]] = [
    (
        "quantity x unit_price beyond the decimal context",
        lambda api: (
            "POST",
            "/api/v1/invoices",
            {"client_id": client_with_work(api, "1")[0], "extra_lines": [line(MAX, MAX)]},
        ),
        ["body", "extra_lines", 0, "unit_price"],
    ),
    (
        "quantity x unit_price beyond what SQLite stores",
        lambda api: (
            "POST",
            "/api/v1/invoices",
            {
                "client_id": client_with_work(api, "1")[0],
                "extra_lines": [line("1", "10"), line("1000000", "1000000000")],
            },
        ),
        ["body", "extra_lines", 1, "unit_price"],
    ),
    (
        "the total of many lines",
        lambda api: (
            "POST",
            "/api/v1/invoices",
            {
                "client_id": client_with_work(api, "1")[0],
                "extra_lines": [line("1", "99999999999999")] * 10,
            },
        ),
        ["body", "extra_lines"],
    ),
    (
        "the VAT on a large total",
        lambda api: (
            "POST",
            "/api/v1/invoices",
            {
                "client_id": client_with_work(api, "1")[0],
                "vat_rate": "100",
                "extra_lines": [line("1", "90000000000000")],
            },
        ),
        ["body", "extra_lines"],
    ),
    (
        "minutes x hourly rate of chosen work",
        lambda api: (
            "POST",
            "/api/v1/invoices",
            {
                "client_id": (work := client_with_work(api, MAX))[0],
                "work_entry_ids": work[2],
            },
        ),
        ["body", "work_entry_ids"],
    ),
    (
        "a project's time summed into one line",
        lambda api: (
            "POST",
            "/api/v1/invoices",
            {
                "client_id": (work := client_with_work(api, "9999999999999", days=8))[0],
                "project_id": work[1],
                "grouping": "project",
            },
        ),
        ["body", "project_id"],
    ),
]


@pytest.mark.parametrize(
    ("setup", "field"),
    [(setup, field) for _, setup, field in INVOICING_CASES],
    ids=[name for name, _, _ in INVOICING_CASES],
)
def test_overflowing_invoice_amounts_are_422_problems_naming_the_field(invoicing, setup, field):
    api = invoicing()
    method, path, body = setup(api)
    response = api.call(method, path, json=body)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert [e["loc"] for e in problem["errors"]] == [field]
    assert MAX in problem["detail"]
    # Nothing was drafted, and the work is still free to invoice.
    assert api.ok("GET", "/api/v1/invoices")["items"] == []
    unbilled = api.ok("GET", "/api/v1/work-entries", params={"unbilled": "true"})["items"]
    assert all(e["invoice_id"] is None for e in unbilled)


def test_a_vat_rate_that_makes_a_draft_too_large_is_refused_and_the_draft_kept(invoicing):
    api = invoicing()
    acme, _, _ = client_with_work(api, "1")
    draft = api.ok(
        "POST",
        "/api/v1/invoices",
        201,
        json={"client_id": acme, "extra_lines": [line("1", "90000000000000")]},
    )
    line_id = draft["lines"][0]["id"]
    response = api.call(
        "PATCH", f"/api/v1/invoices/{draft['id']}/lines/{line_id}", json={"vat_rate": "100"}
    )
    assert response.status_code == 422, response.text
    assert [e["loc"] for e in response.json()["errors"]] == [["body", "vat_rate"]]
    kept = api.ok("GET", f"/api/v1/invoices/{draft['id']}")
    assert kept["total"] == "90000000000000.00" and kept["lines"][0]["vat_rate"] == "0"
    # What is kept can still be issued: its event carries the total.
    assert api.ok("POST", f"/api/v1/invoices/{draft['id']}/issue")["status"] == "issued"


def holding(api: Api, side: str) -> str:
    return str(
        api.ok("POST", f"/api/v1/{side}", 201, json={"name": "Flat", "currency": "CZK"})["id"]
    )


# (name, setup -> (method, path, body), the field the problem must name)
LEDGER_CASES: list[tuple[str, Callable[[Api], tuple[str, str, Any]], list[Any]]] = [
    (
        "an asset's first value",
        lambda api: (
            "POST",
            "/api/v1/assets",
            {
                "name": "Flat",
                "currency": "CZK",
                "value": {"valued_on": "2026-01-01", "value": "1e20"},
            },
        ),
        ["body", "value", "value"],
    ),
    (
        "an asset's value",
        lambda api: (
            "POST",
            f"/api/v1/assets/{holding(api, 'assets')}/values",
            {"valued_on": "2026-01-01", "value": "100000000000000000000"},
        ),
        ["body", "value"],
    ),
    (
        "a liability's value",
        lambda api: (
            "POST",
            f"/api/v1/liabilities/{holding(api, 'liabilities')}/values",
            {"valued_on": "2026-01-01", "value": "1e30"},
        ),
        ["body", "value"],
    ),
    (
        "a manual transaction",
        lambda api: (
            "POST",
            "/api/v1/transactions",
            {"type": "income", "amount": "1e20", "currency": "CZK", "transacted_on": "2026-01-01"},
        ),
        ["body", "amount"],
    ),
    (
        "a correction",
        lambda api: (
            "POST",
            "/api/v1/transactions/{tx}/corrections".format(
                tx=api.ok(
                    "POST",
                    "/api/v1/transactions",
                    201,
                    json={
                        "type": "income",
                        "amount": "10",
                        "currency": "CZK",
                        "transacted_on": "2026-01-01",
                    },
                )["id"]
            ),
            {"amount": "1" + "0" * 20, "reason": "typo"},
        ),
        ["body", "amount"],
    ),
    (
        "a loan's principal",
        lambda api: (
            "POST",
            "/api/v1/loans",
            {
                "name": "Mortgage",
                "principal": "1e25",
                "currency": "CZK",
                "annual_rate": "5",
                "term_months": 360,
                "first_due": "2026-02-01",
            },
        ),
        ["body", "principal"],
    ),
    (
        "an account's opening balance",
        lambda api: (
            "POST",
            "/api/v1/accounts",
            {"name": "Cash", "currency": "CZK", "opening_balance": "-1e20"},
        ),
        ["body", "opening_balance"],
    ),
]


@pytest.mark.parametrize(
    ("setup", "field"),
    [(setup, field) for _, setup, field in LEDGER_CASES],
    ids=[name for name, _, _ in LEDGER_CASES],
)
def test_overflowing_ledger_amounts_are_422_problems_naming_the_field(ledger, setup, field):
    api = ledger()
    method, path, body = setup(api)
    before = {side: api.ok("GET", f"/api/v1/{side}") for side in ("assets", "liabilities")}
    response = api.call(method, path, json=body)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert field in [e["loc"] for e in response.json()["errors"]]
    after = {side: api.ok("GET", f"/api/v1/{side}") for side in ("assets", "liabilities")}
    assert after == before, "no value was recorded"


def test_sums_beyond_sqlites_64_bit_integers_stay_exact(ledger):
    # Each amount fits; their sum does not fit SQLite's 64-bit sum() of 1/10000 units.
    api = ledger()
    largest = "99999999999999"
    account = api.ok("POST", "/api/v1/accounts", 201, json={"name": "Cash", "currency": "CZK"})
    for _ in range(10):
        movement = {
            "type": "income",
            "amount": largest,
            "currency": "CZK",
            "transacted_on": "2026-01-15",
            "account_id": account["id"],
        }
        api.ok("POST", "/api/v1/transactions", 201, json=movement)
    total = Decimal(largest) * 10
    assert total * 10_000 > 2**63, "beyond a 64-bit sum of 1/10000 units"
    flow = api.ok(
        "GET", "/api/v1/reports/cash-flow", params={"from": "2026-01-01", "to": "2026-01-31"}
    )
    [january] = flow["periods"]
    assert Decimal(january["inflow"]) == total
    [balance] = api.ok("GET", f"/api/v1/accounts/{account['id']}")["balances"]
    assert Decimal(balance["amount"]) == total
