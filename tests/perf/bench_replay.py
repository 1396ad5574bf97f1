"""Benchmark: replay archived events into one service's queue, next to a raw stream read.

Run: uv run python tests/perf/bench_replay.py [N]   (default 100,000)

Publishes N events to ``kasa.events`` in a fresh virtual host (they land in the archive
stream), then measures in the same run:
- raw: consuming the stream from its start and acknowledging, nothing else;
- replay: ``kasa_ops.replay.replay_from_stream`` reading the same stream, filtering and
  publishing every event to a target queue through ``kasa.replay`` with publisher confirms.
"""

import argparse
import asyncio
import json
import time
import uuid
from datetime import UTC, datetime, timedelta

import aio_pika

from kasa_localstack import infra
from kasa_ops.replay import ReplayFilter, replay_from_stream
from kasa_servicekit.topology import ARCHIVE_STREAM, QueuePolicy, declare_exchanges

TARGET = "bench.replay-target"
IDLE_S = 120.0


async def publish(url: str, count: int, workspace: str) -> None:
    connection = await aio_pika.connect(url)
    channel = await connection.channel(publisher_confirms=True)
    events, _ = await declare_exchanges(channel, QueuePolicy())
    replay = await channel.get_exchange("kasa.replay")
    target = await channel.declare_queue(TARGET, durable=True, arguments={"x-queue-type": "quorum"})
    await target.bind(replay, routing_key=TARGET)
    now = datetime.now(UTC).isoformat()
    for start in range(0, count, 2000):
        batch = []
        for i in range(start, min(start + 2000, count)):
            body = json.dumps(
                {
                    "event_id": str(uuid.uuid4()),
                    "event_type": "bench.thing.happened",
                    "event_version": 1,
                    "occurred_at": now,
                    "workspace_id": workspace,
                    "payload": {"i": i},
                }
            ).encode()
            batch.append(
                events.publish(
                    aio_pika.Message(body, message_id=str(i)), routing_key="bench.thing.happened.v1"
                )
            )
        await asyncio.gather(*batch)
    await connection.close()


async def raw_read(url: str, count: int) -> float:
    connection = await aio_pika.connect(url)
    channel = await connection.channel()
    await channel.set_qos(prefetch_count=500)
    stream = await channel.declare_queue(ARCHIVE_STREAM, passive=True)
    seen = 0
    started = time.perf_counter()
    # A stream with nothing more for IDLE_S holds fewer events: the run ends with an error.
    iterator = stream.iterator(arguments={"x-stream-offset": "first"}, timeout=IDLE_S)
    async with iterator as messages:
        async for message in messages:
            await message.ack()
            seen += 1
            if seen >= count:
                break
    elapsed = time.perf_counter() - started
    await connection.close()
    return count / elapsed


async def measure(url: str, count: int) -> None:
    workspace = str(uuid.uuid4())
    print(f"publishing {count:,} events into the archive stream …", flush=True)
    await publish(url, count, workspace)
    raw = await raw_read(url, count)
    selection = ReplayFilter(
        queues={TARGET: ["bench.#"]}, since=datetime.now(UTC) - timedelta(hours=1)
    )
    started = time.perf_counter()
    progress = await replay_from_stream(url, selection, idle_seconds=2.0)
    elapsed = time.perf_counter() - started - 2.0  # the idle wait that ends the run
    replayed = progress.published / elapsed
    print(f"raw stream read : {raw:10,.0f} events/s")
    print(
        f"replay (confirmed publish to one queue): {replayed:10,.0f} events/s "
        f"({progress.read:,} read, {progress.published:,} published)"
    )
    print(f"ratio replay/raw: {replayed / raw:.2f}")


def main(count: int) -> None:
    amqp = infra.ensure_rabbitmq()
    vhost = f"kasa-bench-{uuid.uuid4().hex[:6]}"
    url = infra.fresh_vhost(amqp, vhost)
    try:
        asyncio.run(measure(url, count))
    finally:
        if url != amqp:
            infra.delete_vhost(vhost)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("events", type=int, nargs="?", default=100_000, help="N (100,000)")
    main(parser.parse_args().events)
