"""The WebSocket push against the running system: own workspace only, resumable."""

import asyncio
import json
import time

import pytest
import websockets

pytestmark = [pytest.mark.e2e, pytest.mark.asyncio(loop_scope="session")]


def ws_url(system, user, after=None) -> str:
    url = system.gateway.replace("http://", "ws://") + f"/api/v1/ws?token={user.token}"
    return url + (f"&after={after}" if after else "")


async def collect_until(socket, done, timeout=60.0) -> list[dict]:
    """Messages until ``done(messages)`` holds; fails after ``timeout`` seconds."""
    messages: list[dict] = []
    deadline = time.monotonic() + timeout
    while not done(messages):
        remaining = deadline - time.monotonic()
        assert remaining > 0, f"gave up waiting; got {[m.get('event_type') for m in messages]}"
        messages.append(json.loads(await asyncio.wait_for(socket.recv(), remaining)))
    return messages


def completed(sync_id):
    return lambda messages: any(
        m.get("event_type") == "integrations.sync.completed"
        and m["payload"].get("sync_id") == sync_id
        for m in messages
    )


def booked(messages) -> int:
    """How many bookings the ledger's notices among ``messages`` announce."""
    return sum(
        m["payload"]["count"] for m in messages if m["event_type"] == "ledger.transactions.booked"
    )


async def test_each_client_gets_only_its_workspace_and_resumes_after_a_drop(system):
    eva, adam = await system.user(), await system.user()
    async with (
        websockets.connect(ws_url(system, eva)) as eva_ws,
        websockets.connect(ws_url(system, adam)) as adam_ws,
    ):
        assert json.loads(await eva_ws.recv())["type"] == "ready"
        assert json.loads(await adam_ws.recv())["type"] == "ready"
        eva_sync = await eva.start_sync(5)
        adam_sync = await adam.start_sync(3)
        eva_seen = await collect_until(
            eva_ws, lambda seen: completed(eva_sync)(seen) and booked(seen) >= 5
        )
        adam_seen = await collect_until(adam_ws, completed(adam_sync))

    assert {m["workspace_id"] for m in eva_seen} == {eva.user["workspace_id"]}
    assert {m["workspace_id"] for m in adam_seen} == {adam.user["workspace_id"]}
    kinds = {m["event_type"] for m in eva_seen}
    assert {"integrations.sync.started", "integrations.sync.completed"} <= kinds
    last = eva_seen[-1]["event_id"]

    # Dropped: events go on without the client, and it picks up where it left off.
    second = await eva.start_sync(2)
    await eva.wait_sync(second)
    await asyncio.sleep(1)
    async with websockets.connect(ws_url(system, eva, after=last)) as eva_ws:
        assert json.loads(await eva_ws.recv())["type"] == "ready"
        resumed = await collect_until(eva_ws, completed(second))
    assert all(m["type"] == "event" for m in resumed), "nothing lost, no resync needed"
    assert last not in {m["event_id"] for m in resumed}
    # Bookings reach a client as notices, one per ledger commit, never one per transaction.
    pushed = {m["event_type"] for m in eva_seen + resumed + adam_seen}
    assert "ledger.transaction.recorded" not in pushed
    assert booked(eva_seen) == 5


async def test_a_socket_without_a_valid_token_is_closed(system):
    url = system.gateway.replace("http://", "ws://") + "/api/v1/ws?token=forged"
    async with websockets.connect(url) as socket:
        with pytest.raises(websockets.ConnectionClosed) as closed:
            await socket.recv()
    assert closed.value.rcvd.code == 4401
