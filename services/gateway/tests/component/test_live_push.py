"""The WebSocket push: only the caller's workspace, authentication, resuming after a drop."""

from datetime import UTC, datetime
from uuid import uuid4

import pytest
from starlette.websockets import WebSocketDisconnect

from kasa_contracts.envelope import RawEnvelope
from kasa_servicekit.ids import new_id

from .conftest import login, register


def event(workspace_id, kind="ledger.transaction.recorded", **payload):
    return RawEnvelope(
        event_id=new_id(),
        event_type=kind,
        event_version=1,
        occurred_at=datetime.now(UTC),
        producer="ledger",
        workspace_id=workspace_id,
        actor={"type": "system", "id": "ledger"},
        payload=payload,
    )


def publish(client, envelope):
    client.portal.call(client.app.state.hub.publish, envelope)


@pytest.fixture
def two_workspaces(client):
    eva = register(client)
    adam = register(client, email="adam@example.com", workspace="Adam")
    return (eva, login(client)), (adam, login(client, email="adam@example.com"))


def test_a_client_receives_only_its_own_workspaces_events(client, two_workspaces):
    (eva, eva_tokens), (adam, _) = two_workspaces
    with client.websocket_connect(f"/api/v1/ws?token={eva_tokens['access_token']}") as ws:
        assert ws.receive_json() == {"type": "ready", "workspace_id": eva["workspace_id"]}
        publish(client, event(adam["workspace_id"], n=1))
        mine = event(eva["workspace_id"], n=2)
        publish(client, mine)
        received = ws.receive_json()
        assert received["event_id"] == str(mine.event_id), "adam's event never arrives"
        assert received["payload"] == {"n": 2}


def test_the_token_can_come_in_the_first_message(client, two_workspaces):
    (_, eva_tokens), _ = two_workspaces
    with client.websocket_connect("/api/v1/ws") as ws:
        ws.send_json({"type": "auth", "token": eva_tokens["access_token"]})
        assert ws.receive_json()["type"] == "ready"


def test_a_bad_token_closes_the_socket(client):
    with client.websocket_connect("/api/v1/ws?token=nonsense") as ws:
        with pytest.raises(WebSocketDisconnect) as closed:
            ws.receive_json()
    assert closed.value.code == 4401


def test_a_reconnecting_client_gets_what_it_missed(client, two_workspaces):
    (eva, tokens), _ = two_workspaces
    url = f"/api/v1/ws?token={tokens['access_token']}"
    first, second, third = (event(eva["workspace_id"], n=i) for i in range(3))
    with client.websocket_connect(url) as ws:
        ws.receive_json()
        publish(client, first)
        assert ws.receive_json()["event_id"] == str(first.event_id)
    publish(client, second)  # while disconnected
    publish(client, third)
    with client.websocket_connect(f"{url}&after={first.event_id}") as ws:
        ws.receive_json()
        assert [ws.receive_json()["event_id"] for _ in range(2)] == [
            str(second.event_id),
            str(third.event_id),
        ]
    with client.websocket_connect(f"{url}&after={uuid4()}") as ws:
        ws.receive_json()
        assert ws.receive_json() == {"type": "resync"}, "unknown position: reload"
