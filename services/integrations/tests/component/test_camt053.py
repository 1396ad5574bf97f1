"""camt.053 statement uploads: booked entries in, hostile or foreign files refused with 422."""

import json
from pathlib import Path
from uuid import uuid4

import pytest
from sqlalchemy import create_engine, text

STATEMENTS = Path(__file__).parents[1] / "unit" / "statements"
BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
  <!ENTITY lol "lol">
  <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
  <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
]>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02">
<BkToCstmrStmt>&lol3;</BkToCstmrStmt></Document>"""
EXTERNAL_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02">&x;</Document>"""
PAYMENT_ORDER = b"""<?xml version="1.0"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pain.001.001.03"><CstmrCdtTrfInitn/></Document>"""


def imported(database_path) -> list[dict]:
    engine = create_engine(f"sqlite:///{database_path}")
    with engine.connect() as conn:
        bodies = conn.execute(
            text("SELECT body FROM outbox WHERE routing_key = :k ORDER BY id"),
            {"k": "integrations.transaction.imported.v1"},
        ).scalars()
        payloads = [json.loads(b)["payload"] for b in bodies]
    engine.dispose()
    return payloads


def upload(client, headers, content: bytes, name="statement.xml"):
    return client.post(
        "/api/v1/plugins/camt053/imports",
        files={"file": (name, content, "application/xml")},
        headers=headers,
    )


def test_a_v02_statement_imports_its_booked_entries(client, token, finished, database_path):
    headers = token(uuid4())
    started = upload(client, headers, (STATEMENTS / "camt053_v02.xml").read_bytes())
    assert started.status_code == 202, started.text
    done = finished(client, headers, started.json()["id"])
    assert done["status"] == "completed"
    assert (done["records_created"], done["metadata"]["entries_not_booked"]) == (2, 1)
    assert done["metadata"]["upload"]["message_type"] == "camt.053.001.02"
    income, expense = imported(database_path)
    assert income["external_id"] == "CZ6508000000192000145399:BANKREF-0001"
    assert (income["amount"], income["direction"], income["currency"]) == (
        "12100.00",
        "income",
        "CZK",
    )
    assert income["counterparty_name"] == "Acme Consulting GmbH"
    assert income["counterparty_account"] == "DE89370400440532013000"
    assert income["message"] == "Invoice 20260001"
    assert (income["variable_symbol"], income["constant_symbol"]) == ("20260001", "0308")
    assert income["booking_date"] == income["value_date"] == "2026-01-15"
    assert (expense["direction"], expense["amount"]) == ("expense", "450.50")
    assert expense["counterparty_name"] == "Kavárna Na Rohu s.r.o."
    assert expense["counterparty_account"] == "123456789/0300"

    again = upload(client, headers, (STATEMENTS / "camt053_v02.xml").read_bytes())
    repeat = finished(client, headers, again.json()["id"])
    assert (repeat["records_created"], repeat["records_skipped"]) == (0, 2), "re-upload dedupes"


def test_a_v08_statement_reads_nested_parties_and_structured_references(
    client, token, finished, database_path
):
    headers = token(uuid4())
    started = upload(client, headers, (STATEMENTS / "camt053_v08.xml").read_bytes())
    done = finished(client, headers, started.json()["id"])
    assert (done["status"], done["records_created"]) == ("completed", 1)
    [entry] = imported(database_path)
    assert entry["counterparty_name"] == "Nordlicht AG"
    assert entry["reference"] == "20260002" and entry["variable_symbol"] == "20260002"
    assert (entry["booking_date"], entry["value_date"]) == ("2026-02-03", "2026-02-04")
    assert (entry["currency"], entry["account"]["iban"]) == ("EUR", "DE89370400440532013000")


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (BILLION_LAUGHS, "entity-expansion"),
        (EXTERNAL_ENTITY, "entity-expansion"),
        (b"<Document><Stmt>", "not well-formed XML"),
        (PAYMENT_ORDER, "pain.001.001.03 document, not a camt.053 statement"),
        (b"", "not well-formed XML"),
    ],
)
def test_hostile_broken_or_foreign_files_are_refused_and_nothing_is_imported(
    client, token, database_path, content, reason
):
    headers = token(uuid4())
    refused = upload(client, headers, content)
    assert refused.status_code == 422
    assert reason in refused.json()["detail"]
    assert "nothing was imported" in refused.json()["detail"]
    assert client.get("/api/v1/syncs", headers=headers).json()["items"] == []
    assert imported(database_path) == []
