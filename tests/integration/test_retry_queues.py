"""Retry queues on a real broker: quorum delay queues that hand a message back, and the classic
delay queue of earlier versions removed once it has handed back what it held."""

import asyncio
import uuid
from urllib.parse import urlsplit

import aio_pika
import pytest
from aio_pika.abc import AbstractChannel

from kasa_localstack import infra
from kasa_servicekit.bus import Bus
from kasa_servicekit.topology import QueuePolicy, legacy_retry_queue, retry_queue

pytestmark = [pytest.mark.integration, pytest.mark.asyncio(loop_scope="session")]


class Idle:
    """A consumer that declares its queue through the bus and reads nothing."""

    def __init__(self, queue: str) -> None:
        self.queue = queue
        self.routing_keys = (f"{queue}.nothing",)

    async def run(self, channel: AbstractChannel) -> None:
        await asyncio.Event().wait()


@pytest.fixture
async def vhost_url(real_infra):
    url = infra.fresh_vhost(real_infra.amqp_url, f"kasa-retries-{uuid.uuid4().hex[:8]}")
    yield url
    infra.delete_vhost(urlsplit(url).path.lstrip("/"))


async def run_bus(url: str, queue: str) -> None:
    bus = Bus(url, QueuePolicy(retry_delay_ms=200), [Idle(queue)])
    task = asyncio.create_task(bus.run())
    try:
        await asyncio.wait_for(bus.ready.wait(), 30)
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


async def get(channel: AbstractChannel, queue: str, seconds: float = 10) -> bytes:
    async with asyncio.timeout(seconds):
        while True:
            message = await (await channel.get_queue(queue)).get(fail=False)
            if message is not None:
                await message.ack()
                return message.body
            await asyncio.sleep(0.05)


async def test_a_retry_waits_in_a_quorum_queue_and_comes_back(vhost_url):
    await run_bus(vhost_url, "ledger.sets")
    connection = await aio_pika.connect(vhost_url)
    async with connection:
        channel = await connection.channel()
        await channel.default_exchange.publish(
            aio_pika.Message(b"again"), routing_key=retry_queue("ledger.sets")
        )
        assert await get(channel, "ledger.sets") == b"again"


async def test_the_classic_retry_queue_of_earlier_versions_goes_once_empty(vhost_url):
    queue = "ledger.older"
    legacy = legacy_retry_queue(queue)
    await run_bus(vhost_url, queue)
    connection = await aio_pika.connect(vhost_url)
    async with connection:
        channel = await connection.channel()
        # As an earlier version declared it, still holding a retry that has not expired.
        await channel.declare_queue(
            legacy,
            durable=True,
            arguments={
                "x-queue-type": "classic",
                "x-message-ttl": 1500,
                "x-dead-letter-exchange": "",
                "x-dead-letter-routing-key": queue,
            },
        )
        await channel.default_exchange.publish(aio_pika.Message(b"held"), routing_key=legacy)

        await run_bus(vhost_url, queue)
        await channel.declare_queue(legacy, passive=True)  # kept: it still held a message
        assert await get(channel, queue) == b"held", "what it held came back as before"

        await run_bus(vhost_url, queue)
        probe = await connection.channel()
        with pytest.raises(aio_pika.exceptions.ChannelClosed):
            await probe.declare_queue(legacy, passive=True)
