"""Two gateway replicas behave as one gateway: the sign-in throttle and live push are shared.

These talk to each replica directly (not through the balancer), to choose which one serves
each request.
"""

import asyncio
import json
import time

import httpx
import pytest
import websockets

from kasa_localstack.testing import KasaClient

pytestmark = [pytest.mark.cluster, pytest.mark.asyncio(loop_scope="session")]

PASSWORD = "correct horse battery"  # what KasaClient registers with
ATTACKER = "127.0.0.3"
"""The address the wrong passwords come from: no other test signs in from it."""
OWNER = "127.0.0.4"


def from_address(base_url: str, address: str) -> httpx.AsyncClient:
    transport = httpx.AsyncHTTPTransport(local_address=address)
    return httpx.AsyncClient(base_url=base_url, transport=transport, timeout=30)


async def ten_wrong_then_the_right_one(urls: list[str], email: str) -> list[tuple[int, int]]:
    """Status and Retry-After of 10 wrong passwords and then the right one, all from
    ``ATTACKER``, the i-th attempt sent to ``urls[i % len(urls)]``."""
    clients = [from_address(url, ATTACKER) for url in urls]
    answers = []
    try:
        for i in range(11):
            password = PASSWORD if i == 10 else "not the password"
            response = await clients[i % len(clients)].post(
                "/api/v1/auth/token", json={"email": email, "password": password}
            )
            answers.append((response.status_code, int(response.headers.get("retry-after", 0))))
    finally:
        for client in clients:
            await client.aclose()
    return answers


async def test_ten_wrong_passwords_over_both_replicas_make_the_address_wait_as_ten_on_one(cluster):
    a, b = cluster.replica("gateway", "a").url, cluster.replica("gateway", "b").url
    on_one = (await cluster.user()).user["email"]
    spread = (await cluster.user()).user["email"]

    alone = await ten_wrong_then_the_right_one([a], on_one)
    both = await ten_wrong_then_the_right_one([a, b], spread)

    assert [code for code, _ in alone][-1] == 429, f"on one replica the address waits: {alone}"
    assert [code for code, _ in both] == [code for code, _ in alone], (alone, both)
    # The same wait, give or take the seconds between the two runs' failures.
    waits = [(x, y) for (_, x), (_, y) in zip(alone, both, strict=True) if x or y]
    assert waits and all(abs(x - y) <= 5 for x, y in waits), waits
    # The attacker's address waits on either replica; the owner, elsewhere, signs in on both.
    for url in (a, b):
        async with from_address(url, ATTACKER) as attacker:
            refused = await attacker.post(
                "/api/v1/auth/token", json={"email": spread, "password": PASSWORD}
            )
        assert refused.status_code == 429, (url, refused.text)
        async with from_address(url, OWNER) as owner:
            signed_in = await owner.post(
                "/api/v1/auth/token", json={"email": spread, "password": PASSWORD}
            )
        assert signed_in.status_code == 200, (url, signed_in.text)


def ws_url(base_url: str, token: str | None, after: str | None = None) -> str:
    url = base_url.replace("http://", "ws://") + f"/api/v1/ws?token={token}"
    return url + (f"&after={after}" if after else "")


async def collect_until(socket, done, timeout: float = 90.0) -> list[dict]:
    """Messages until ``done(messages)`` holds; fails after ``timeout`` seconds."""
    messages: list[dict] = []
    deadline = time.monotonic() + timeout
    while not done(messages):
        remaining = deadline - time.monotonic()
        assert remaining > 0, f"gave up waiting; got {[m.get('event_type') for m in messages]}"
        messages.append(json.loads(await asyncio.wait_for(socket.recv(), remaining)))
    return messages


def completed(sync_id: str):
    return lambda messages: any(
        m.get("event_type") == "integrations.sync.completed"
        and m["payload"].get("sync_id") == sync_id
        for m in messages
    )


async def sync_through(url: str, token: str | None, count: int) -> str:
    """Request a demo sync of ``count`` through the gateway replica at ``url``."""
    client = KasaClient(url)
    client.token = token
    try:
        return await client.start_sync(count)
    finally:
        await client.close()


async def test_a_socket_on_one_replica_gets_the_push_for_a_change_requested_through_the_other(
    cluster,
):
    user = await cluster.user()
    a, b = cluster.replica("gateway", "a").url, cluster.replica("gateway", "b").url
    for listening, requested in ((a, b), (b, a)):
        async with websockets.connect(ws_url(listening, user.token)) as socket:
            assert json.loads(await socket.recv())["type"] == "ready"
            sync_id = await sync_through(requested, user.token, 5)
            seen = await collect_until(socket, completed(sync_id))
        assert {m["workspace_id"] for m in seen} == {user.user["workspace_id"]}
        kinds = {m["event_type"] for m in seen}
        assert {"integrations.sync.started", "integrations.sync.completed"} <= kinds, kinds


async def test_a_socket_resumed_on_the_other_replica_gets_what_it_missed(cluster):
    user = await cluster.user()
    a, b = cluster.replica("gateway", "a").url, cluster.replica("gateway", "b").url
    async with websockets.connect(ws_url(a, user.token)) as socket:
        assert json.loads(await socket.recv())["type"] == "ready"
        first = await sync_through(a, user.token, 2)
        seen = await collect_until(socket, completed(first))
    last = seen[-1]["event_id"]

    second = await sync_through(a, user.token, 2)
    await user.wait_sync(second)
    await asyncio.sleep(1)  # both replicas have had the events delivered to them
    async with websockets.connect(ws_url(b, user.token, after=last)) as socket:
        assert json.loads(await socket.recv())["type"] == "ready"
        resumed = await collect_until(socket, completed(second))
    assert all(m["type"] == "event" for m in resumed), "nothing lost, no resync needed"
    assert last not in {m["event_id"] for m in resumed}
