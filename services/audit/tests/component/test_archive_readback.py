"""Reading the archive back for replay: publish order, exact bodies, filters, a cursor."""

import json
from datetime import UTC, datetime, timedelta
from uuid import uuid4

import pytest
from fastapi.testclient import TestClient

from kasa_servicekit.service import ops_app

T0 = datetime(2026, 5, 1, 8, 0, tzinfo=UTC)


@pytest.fixture
async def archived(event, feed):
    """Seven events over seven minutes in two workspaces, fed out of order."""
    first, second = uuid4(), uuid4()
    bodies = []
    for minute in range(7):
        kind, payload = (
            ("ledger.transaction.recorded", {"transaction_id": f"L{minute}"})
            if minute % 2
            else ("integrations.sync.started", {"sync_id": f"s{minute}"})
        )
        body = event(
            kind,
            payload,
            workspace_id=first if minute < 5 else second,
            occurred_at=T0 + timedelta(minutes=minute),
        )
        # Spacing that only an exact copy keeps.
        bodies.append(body.replace(b'"payload": {', b'"payload":  {'))
    await feed(*reversed(bodies))
    return bodies, first, second


def read_all(ops, **params):
    lines, after, pages = [], None, 0
    while True:
        response = ops.get(
            "/internal/archive", params={**params, **({"after": after} if after else {})}
        )
        assert response.status_code == 200, response.text
        assert response.headers["content-type"] == "application/x-ndjson"
        lines += [json.loads(line) for line in response.text.splitlines()]
        pages += 1
        after = response.headers.get("x-next-cursor")
        if after is None:
            return lines, pages


async def test_every_envelope_comes_back_in_publish_order_exactly_as_published(ops, archived):
    bodies, _, _ = archived
    lines, pages = read_all(ops, limit=3)
    assert pages == 3
    assert [line["body"].encode() for line in lines] == bodies
    assert lines[1]["routing_key"] == "ledger.transaction.recorded.v1"


@pytest.mark.parametrize(
    ("params", "minutes"),
    [
        ({"event_type": "ledger.transaction.recorded"}, [1, 3, 5]),
        ({"event_type": "ledger.transaction.recorded.v1"}, [1, 3, 5]),
        ({"event_type": "ledger.transaction.recorded.v2"}, []),
        (
            {"event_type": ["ledger.transaction.recorded", "integrations.sync.started"]},
            list(range(7)),
        ),
        (
            {
                "since": (T0 + timedelta(minutes=2)).isoformat(),
                "until": (T0 + timedelta(minutes=4)).isoformat(),
            },
            [2, 3],
        ),
    ],
)
async def test_filters_by_time_range_and_event_types(ops, archived, params, minutes):
    bodies, _, _ = archived
    lines, _ = read_all(ops, **params)
    assert [line["body"].encode() for line in lines] == [bodies[m] for m in minutes]


async def test_one_workspace_can_be_read_back(ops, archived):
    bodies, _, second = archived
    lines, _ = read_all(ops, workspace_id=str(second))
    assert [line["body"].encode() for line in lines] == bodies[5:]


async def test_an_operator_token_is_required_once_configured(client, archived):
    # Not on the public port at all; on the ops listener only with the token.
    assert client.get("/internal/archive").status_code == 404
    listener = TestClient(ops_app(client.app))
    assert listener.get("/internal/archive").status_code == 401
    wrong = listener.get("/internal/archive", headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401
    right = listener.get(
        "/internal/archive",
        headers={"Authorization": f"Bearer {client.app.state.runtime.settings.ops_token}"},
    )
    assert right.status_code == 200
    assert len(right.text.splitlines()) == 7


async def test_a_forged_cursor_is_a_400_problem(ops):
    response = ops.get("/internal/archive", params={"after": "not-a-cursor"})
    assert response.status_code == 400
