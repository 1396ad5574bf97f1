"""``kasa audit verify --anchors``: the audit chain heads published outside audit's database.

Audit publishes ``audit.chain.anchored`` (workspace, seq, hash) for every chain head that
moved. The archive stream keeps those messages beyond the reach of audit's database; this
module reads them back and has audit check each against the entry it stores at that ``seq``.
A rewrite of the trail that kept the hash chain consistent still changes anchored hashes.
"""

import asyncio
import json
from collections.abc import Awaitable, Callable
from typing import Any

import aio_pika

from kasa_contracts.events.audit import ChainAnchored
from kasa_servicekit.topology import ARCHIVE_STREAM

ANCHOR_ROUTING_KEY = ChainAnchored.routing_key()
CHECK_BATCH = 1000


async def read_anchors(
    amqp_url: str, *, workspace_id: str | None = None, idle_seconds: float = 3.0
) -> list[dict[str, Any]]:
    """Every distinct anchor still in the archive stream, oldest first."""
    seen: dict[tuple[str, int, str], dict[str, Any]] = {}
    connection = await aio_pika.connect(amqp_url, timeout=10)
    try:
        channel = await connection.channel()
        await channel.set_qos(prefetch_count=500)
        stream = await channel.declare_queue(ARCHIVE_STREAM, passive=True)
        async with stream.iterator(arguments={"x-stream-offset": "first"}) as messages:
            while True:
                try:
                    message = await asyncio.wait_for(messages.__anext__(), timeout=idle_seconds)
                except (TimeoutError, StopAsyncIteration):
                    break
                await message.ack()
                if message.routing_key != ANCHOR_ROUTING_KEY:
                    continue
                try:
                    payload = json.loads(message.body)["payload"]
                    key = (str(payload["workspace_id"]), int(payload["seq"]), str(payload["hash"]))
                except (ValueError, KeyError, TypeError):
                    continue
                if workspace_id and key[0] != workspace_id:
                    continue
                # The outbox may publish an anchor twice; checking it once is enough.
                seen.setdefault(key, dict(zip(("workspace_id", "seq", "hash"), key, strict=True)))
    finally:
        await connection.close()
    return list(seen.values())


async def check_anchors(
    anchors: list[dict[str, Any]],
    post: Callable[[dict[str, Any]], Awaitable[dict[str, Any]]],
) -> dict[str, Any]:
    """Have audit compare each anchor with its stored entry; the ones that do not match.

    ``post(body)`` sends one batch to audit's ``/ops/audit/anchors/check``.
    """
    failed: list[dict[str, Any]] = []
    checked = 0
    for start in range(0, len(anchors), CHECK_BATCH):
        result = await post({"anchors": anchors[start : start + CHECK_BATCH]})
        checked += result["checked"]
        failed += result["failed"]
    failed.sort(key=lambda f: (f["workspace_id"], f["seq"]))
    return {"ok": not failed, "read": len(anchors), "checked": checked, "failed": failed}
