"""Fio syncs through the real app, against a local server speaking Fio's JSON format."""

import json
import logging
from datetime import date, timedelta
from decimal import Decimal
from uuid import uuid4

import httpx
import pytest
from sqlalchemy import create_engine, text

from kasa_integrations.app import sync_run

TODAY = date.today()


def days_ago(n: int) -> str:
    return (TODAY - timedelta(days=n)).isoformat()


@pytest.fixture
def bank(fake_fio, fio_record):
    fake_fio.records = [
        fio_record(
            1001,
            days_ago(20),
            "25000.50",
            column2="2900123456",
            column3="2010",
            column4="0308",
            column5="20260001",
            column6=None,
            column7="Faktura 20260001",
            column8="Bezhotovostní příjem",
            column10="Acme s.r.o.",
            column16="Platba faktury 20260001",
            column25="komentář",
            column26="FIOBCZPPXXX",
            column27="E2E-1",
        ),
        fio_record(1002, days_ago(10), "-1234.9", column10="Alza.cz a.s.", column5="ABC"),
        fio_record(1003, days_ago(200), "-10", column10="too old for a first sync"),
    ]
    return fake_fio


def fio_events(database_path, routing_key):
    engine = create_engine(f"sqlite:///{database_path}")
    with engine.connect() as conn:
        rows = conn.execute(
            text("SELECT body FROM outbox WHERE routing_key = :k ORDER BY id"), {"k": routing_key}
        ).scalars()
        bodies = list(rows)
    engine.dispose()
    return bodies


def configure(client, headers, canary, **settings):
    answer = client.put(
        "/api/v1/plugins/fio/config",
        json={"enabled": True, "settings": settings, "credentials": {"token": canary}},
        headers=headers,
    )
    assert answer.status_code == 200, answer.text


def sync(client, headers, finished, **body):
    started = client.post("/api/v1/plugins/fio/syncs", json=body, headers=headers)
    assert started.status_code == 202, started.text
    return finished(client, headers, started.json()["id"])


def test_first_sync_reads_the_initial_window_and_maps_every_column(
    client, token, bank, canary, finished, database_path
):
    headers = token(uuid4())
    configure(client, headers, canary, initial_days=90)
    done = sync(client, headers, finished)
    assert done["status"] == "completed", done
    assert (done["records_created"], done["records_skipped"]) == (2, 0)
    assert f"/periods/{canary}/{days_ago(90)}/{TODAY.isoformat()}/" in bank.requests[0]
    assert done["metadata"]["period"] == {"from": days_ago(90), "to": TODAY.isoformat()}
    assert done["metadata"]["cursor"] == {"last_booked": days_ago(10)}
    assert canary not in str(done)

    [income, expense] = [
        json.loads(b)["payload"]
        for b in fio_events(database_path, "integrations.transaction.imported.v1")
    ]
    assert income["external_id"] == "1001"
    assert income["booking_date"] == days_ago(20)
    assert (income["amount"], income["direction"], income["currency"]) == (
        "25000.50",
        "income",
        "CZK",
    )
    assert income["counterparty_account"] == "2900123456/2010"
    assert income["counterparty_name"] == "Acme s.r.o."
    assert (income["constant_symbol"], income["variable_symbol"], income["specific_symbol"]) == (
        "0308",
        "20260001",
        None,
    )
    assert income["message"] == "Platba faktury 20260001"
    assert income["reference"] == "E2E-1"
    assert income["raw"]["comment"] == "komentář" and income["raw"]["bic"] == "FIOBCZPPXXX"
    assert income["account"]["account_number"] == "2000145399/2010"
    assert (expense["amount"], expense["direction"]) == ("1234.9", "expense")
    assert expense["variable_symbol"] is None, "a symbol that is not digits is not a symbol"
    assert Decimal(expense["amount"]) == Decimal("1234.90")


def test_later_syncs_overlap_the_last_booked_date_and_dedupe(
    client, token, bank, canary, finished, database_path, fio_record
):
    headers = token(uuid4())
    configure(client, headers, canary, overlap_days=5)
    sync(client, headers, finished)
    bank.records.append(fio_record(1004, days_ago(1), "99", column10="new one"))
    bank.records[1]["column16"] = {"value": "the bank added a message", "name": "Zpráva", "id": 16}
    again = sync(client, headers, finished)
    assert again["status"] == "completed"
    assert f"/{days_ago(15)}/{TODAY.isoformat()}/" in bank.requests[-1], "last booked minus overlap"
    assert again["metadata"]["cursor_before"] == {"last_booked": days_ago(10)}
    assert again["metadata"]["cursor"] == {"last_booked": days_ago(1)}
    assert (again["records_created"], again["records_updated"], again["records_skipped"]) == (
        1,
        1,
        0,
    )
    [updated] = fio_events(database_path, "integrations.transaction.updated.v1")
    changes = json.loads(updated)["payload"]["changes"]
    assert changes == {
        "message": {"before": None, "after": "the bank added a message", "redacted": False}
    }
    quiet = sync(client, headers, finished)
    assert f"/{days_ago(6)}/" in bank.requests[-1]
    counts = (quiet["records_created"], quiet["records_updated"], quiet["records_skipped"])
    assert counts == (0, 0, 1)


def test_the_rate_limit_is_waited_out_a_bounded_number_of_times(
    client, token, bank, canary, finished
):
    headers = token(uuid4())
    configure(client, headers, canary)
    bank.responses = [409, 409]
    done = sync(client, headers, finished)
    assert done["status"] == "completed"
    assert done["metadata"]["rate_limit_waits_s"] == [0.05, 0.05]
    assert [r["status"] for r in done["metadata"]["requests"]] == [409, 409, 200]
    bank.responses = [409, 409, 409, 409]
    refused = sync(client, headers, finished)
    assert refused["status"] == "failed"
    assert "409" in refused["error_message"] and "3 attempts" in refused["error_message"]


@pytest.mark.parametrize(
    ("status", "reason"),
    [
        (422, "history older than 90 days needs authorization in Fio internet banking"),
        (500, "Fio rejected the API token: it is invalid or inactive"),
    ],
)
def test_fio_errors_fail_the_sync_saying_why(
    client, token, bank, canary, finished, status, reason, caplog
):
    caplog.set_level(logging.DEBUG)
    headers = token(uuid4())
    configure(client, headers, canary)
    bank.responses = [status]
    done = sync(client, headers, finished)
    assert done["status"] == "failed"
    assert reason in done["error_message"]
    assert done["records_created"] == 0
    assert canary not in str(done) and canary not in caplog.text


def test_network_errors_and_timeouts_fail_with_the_reason(
    client, token, bank, canary, finished, monkeypatch, caplog
):
    caplog.set_level(logging.DEBUG)
    headers = token(uuid4())
    configure(client, headers, canary)
    fio = client.app.state.plugins["fio"]
    real_url = fio.base_url
    fio.base_url = "http://127.0.0.1:9"  # nothing listens on the discard port
    unreachable = sync(client, headers, finished)
    assert unreachable["status"] == "failed"
    assert unreachable["error_message"].startswith("cannot reach Fio (ConnectError")
    fio.base_url = real_url
    # The answer is held far longer than the read timeout and the connect timeout stays
    # generous, so a loaded machine cannot turn this into a ConnectTimeout or a late success.
    monkeypatch.setattr(sync_run, "HTTP_TIMEOUT", httpx.Timeout(0.3, connect=10.0))
    bank.delay_s = 30.0
    slow = sync(client, headers, finished)
    assert slow["status"] == "failed"
    assert slow["error_message"] == "Fio did not answer in time (ReadTimeout)"
    for body in (unreachable, slow):
        assert canary not in str(body)
    assert canary not in caplog.text
