"""Over-long bank text is bounded at the plugin contract, not lost downstream.

A bank (or an uploaded statement) chooses its texts' length; the books store them in bounded
columns, and PostgreSQL refused the row, so the ledger parked the movement and it was missing
from the books. Now every plugin's transaction carries each text cut to its documented limit,
ending with a marker, and the full text in its raw record. Driven through the integrations app
on SQLite, and through the gateway into the ledger on PostgreSQL.
"""

import json
import time
from collections.abc import Iterator
from uuid import uuid4

import pytest
from cryptography.fernet import Fernet
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text

from kasa_integrations.main import build
from kasa_localstack.testing import eventually
from kasa_servicekit.migrations import upgrade
from kasa_servicekit.service import create_app
from kasa_servicekit.testing import TokenIssuer

# The bounds docs/plugins.md documents for every plugin.
TEXT_LIMITS = {"counterparty_name": 200, "message": 1000, "reference": 200}
TRUNCATED_MARKER = "…"
UNTRUNCATED = "untruncated"

NAME = "Společnost " + "s velmi dlouhým jménem " * 217  # 5,000 characters and more
MESSAGE = "Platba za služby " * 300
REFERENCE = "REF" + "0123456789" * 50


def statement(name: str = NAME, message: str = MESSAGE, reference: str = REFERENCE) -> bytes:
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02">
  <BkToCstmrStmt><Stmt>
    <Acct><Id><IBAN>CZ6508000000192000145399</IBAN></Id><Ccy>CZK</Ccy></Acct>
    <Ntry>
      <Amt Ccy="CZK">1250.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts>BOOK</Sts>
      <BookgDt><Dt>2026-02-03</Dt></BookgDt>
      <AcctSvcrRef>LONG-{uuid4().hex[:12]}</AcctSvcrRef>
      <NtryDtls><TxDtls>
        <RltdPties><Dbtr><Nm>{name}</Nm></Dbtr></RltdPties>
        <RmtInf><Ustrd>{message}</Ustrd><Strd><CdtrRefInf><Ref>{reference}</Ref></CdtrRefInf></Strd></RmtInf>
      </TxDtls></NtryDtls>
    </Ntry>
  </Stmt></BkToCstmrStmt>
</Document>""".encode()


def assert_bounded(payload: dict, field: str, full: str) -> None:
    value = payload[field]
    limit = TEXT_LIMITS[field]
    assert len(value) == limit and value.endswith(TRUNCATED_MARKER), field
    assert full.startswith(value.removesuffix(TRUNCATED_MARKER)), field
    assert payload["raw"][UNTRUNCATED][field] == full, field


@pytest.fixture
def service(tmp_path, monkeypatch) -> Iterator[tuple[TestClient, TokenIssuer, str]]:
    database = tmp_path / "integrations.db"
    env = {
        "DATABASE_URL": f"sqlite+aiosqlite:///{database}",
        "AMQP_URL": "amqp://guest:guest@127.0.0.1:1/",
        "CREDENTIALS_KEYS": Fernet.generate_key().decode(),
        "SYNC_LEASE_SECONDS": "2",
        "SYNC_PICKUP_AFTER_SECONDS": "0.1",
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    spec = build()
    upgrade(spec.migrations, spec.settings.database_url)
    app = create_app(spec)
    issuer = TokenIssuer()
    issuer.install(app)
    with TestClient(app) as client:
        yield client, issuer, str(database)


def test_an_over_long_counterparty_is_imported_cut_with_a_marker_and_kept_whole_in_raw(service):
    assert len(NAME) >= 5000
    client, issuer, database = service
    headers = issuer.headers(uuid4())
    started = client.post(
        "/api/v1/plugins/camt053/imports",
        files={"file": ("long.xml", statement(), "application/xml")},
        headers=headers,
    )
    assert started.status_code == 202, started.text
    deadline = time.monotonic() + 60
    while (sync := client.get(f"/api/v1/syncs/{started.json()['id']}", headers=headers).json())[
        "status"
    ] in ("pending", "running"):
        assert time.monotonic() < deadline, sync
        time.sleep(0.05)
    assert (sync["status"], sync["records_created"]) == ("completed", 1), sync

    engine = create_engine(f"sqlite:///{database}")
    with engine.connect() as connection:
        [body] = connection.execute(
            text("SELECT body FROM outbox WHERE routing_key = :key"),
            {"key": "integrations.transaction.imported.v1"},
        ).scalars()
    engine.dispose()
    payload = json.loads(body)["payload"]
    assert_bounded(payload, "counterparty_name", NAME.strip())
    assert_bounded(payload, "message", MESSAGE.strip())
    assert_bounded(payload, "reference", REFERENCE)


@pytest.mark.e2e
@pytest.mark.asyncio(loop_scope="session")
async def test_an_over_long_counterparty_reaches_the_books(system):
    user = await system.user()
    started = await user.post(
        "/api/v1/plugins/camt053/imports",
        files={"file": ("long.xml", statement(), "application/xml")},
    )
    assert started.status_code == 202, started.text
    sync = await user.wait_sync(started.json()["id"])
    assert (sync["status"], sync["records_created"]) == ("completed", 1), sync
    [booked] = await eventually(
        lambda: user.all_items("/api/v1/transactions"),
        lambda items: len(items) >= 1,
        what="the statement's entry in the ledger",
    )
    assert booked["counterparty"].endswith(TRUNCATED_MARKER)
    assert NAME.startswith(booked["counterparty"].removesuffix(TRUNCATED_MARKER))
