"""What a transaction's page reads: the sync that brought it, its corrections and who made them,
the list's entry and sync filters, and the open invoices a payment could be matched to."""

from uuid import uuid4

from .conftest import bank_movement, invoice


async def test_an_import_names_its_sync_and_the_list_filters_by_it(ledger):
    sync_id = uuid4()
    await ledger.deliver(bank_movement(external_id="a", sync_id=sync_id, constant_symbol="0308"))
    await ledger.deliver(bank_movement(external_id="b"))
    tx = await ledger.transaction("a")
    assert tx["sync_id"] == str(sync_id)
    assert tx["recorded_by"] is None
    listed = await ledger.http.get("/api/v1/transactions", params={"sync_id": str(sync_id)})
    assert [t["external_id"] for t in listed.json()["items"]] == ["a"]
    by_symbol = await ledger.http.get("/api/v1/transactions", params={"q": "0308"})
    assert [t["external_id"] for t in by_symbol.json()["items"]] == ["a"]


async def test_the_detail_lists_corrections_with_reason_author_and_time(ledger):
    await ledger.deliver(bank_movement(external_id="a", amount="1000.00"))
    tx = await ledger.transaction("a")
    url = f"/api/v1/transactions/{tx['id']}"
    fresh = (await ledger.http.get(url)).json()
    assert fresh["corrections"] == []
    lowered = await ledger.http.post(f"{url}/corrections", json={"amount": "900", "reason": "fee"})
    assert lowered.status_code == 201, lowered.text
    voided = await ledger.http.post(f"{url}/void", json={"reason": "duplicate"})
    assert voided.status_code == 201, voided.text

    detail = (await ledger.http.get(url)).json()
    assert detail["voided"] is True
    kinds = [(c["kind"], c["type"], c["amount"], c["reason"]) for c in detail["corrections"]]
    assert kinds == [
        ("adjustment", "expense", "100.00", "fee"),
        ("reversal", "expense", "900.00", "duplicate"),
    ]
    assert {c["recorded_by"]["type"] for c in detail["corrections"]} == {"user"}
    assert all(c["source"] == "manual" and c["created_at"] for c in detail["corrections"])

    entries = await ledger.http.get("/api/v1/transactions", params={"kind": "entry"})
    assert [t["id"] for t in entries.json()["items"]] == [tx["id"]]


async def test_a_manual_entry_names_who_entered_it(ledger):
    created = await ledger.http.post(
        "/api/v1/transactions",
        json={"type": "expense", "amount": "120", "currency": "CZK", "transacted_on": "2026-02-03"},
    )
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["sync_id"] is None
    assert body["recorded_by"]["type"] == "user"


async def test_open_invoices_are_searched_by_number_client_and_total(ledger):
    first = invoice(number="2026-0001", client_name="Acme s.r.o.", total="1000.00")
    second = invoice(
        number="2026-0002", variable_symbol="20260002", client_name="Globex", total="2500.00"
    )
    euro = invoice(number="2026-0003", variable_symbol="20260003", currency="EUR", total="40")
    for issued in (first, second, euro):
        await ledger.deliver(issued)
    url = "/api/v1/matches/open-invoices"

    async def numbers(**params):
        answer = await ledger.http.get(url, params=params)
        assert answer.status_code == 200, answer.text
        return sorted(i["number"] for i in answer.json()["items"])

    assert await numbers() == ["2026-0001", "2026-0002", "2026-0003"]
    assert await numbers(currency="CZK") == ["2026-0001", "2026-0002"]
    assert await numbers(q="globex") == ["2026-0002"]
    assert await numbers(q="0001") == ["2026-0001"]
    assert await numbers(q="2 500,00") == ["2026-0002"]

    # A partial payment leaves the invoice open with less outstanding; paying the rest closes it.
    await ledger.deliver(bank_movement(external_id="p", amount="400.00", variable_symbol=None))
    tx = await ledger.transaction("p")
    matched = await ledger.http.post(
        f"/api/v1/transactions/{tx['id']}/match",
        json={"invoice_id": str(second.invoice_id), "amount": "400"},
    )
    assert matched.status_code == 201, matched.text
    [globex] = (await ledger.http.get(url, params={"q": "globex"})).json()["items"]
    assert (globex["total"], globex["outstanding"]) == ("2500.00", "2100.00")
    rest = bank_movement(external_id="r", amount="2100.00", variable_symbol="20260002")
    await ledger.deliver(rest)
    assert await numbers(q="globex") == []

    other = await ledger.http.get(url, headers=ledger.issuer.headers(uuid4()))
    assert other.json()["items"] == [], "another workspace sees none of them"
