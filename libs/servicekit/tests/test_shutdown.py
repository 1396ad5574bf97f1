"""A stopping service ends its background work, even work that lost a cancellation.

On Python 3.11 ``asyncio.wait_for`` (which aiormq's connect timeout uses) can swallow a
cancellation that lands as the awaited call finishes. A service whose bus kept retrying a
refused broker then never finished stopping.
"""

import asyncio
import logging
from types import SimpleNamespace
from typing import Any, cast

from kasa_servicekit.bus import Bus
from kasa_servicekit.service import Runtime
from kasa_servicekit.topology import QueuePolicy

REFUSED = "amqp://guest:guest@127.0.0.1:1/"


def runtime() -> Runtime:
    nothing = cast(Any, SimpleNamespace())
    return Runtime(nothing, nothing, nothing, nothing, nothing)


async def test_the_bus_stops_when_cancelled_while_the_broker_refuses_it():
    stuck = 0
    for _ in range(60):
        bus = Bus(REFUSED, QueuePolicy(), [])
        task = asyncio.ensure_future(bus.run())
        # A refused connect takes well under a millisecond: cancel at varied moments of it.
        for _ in range(_ % 7):
            await asyncio.sleep(0)
        task.cancel()
        done, _pending = await asyncio.wait([task], timeout=2)
        if not done:
            stuck += 1
            task.cancel()
            await asyncio.wait([task], timeout=2)
    assert stuck == 0


async def test_a_task_that_swallowed_its_cancellation_is_cancelled_again(caplog):
    swallowed = asyncio.Event()

    async def deaf() -> None:
        try:
            await asyncio.sleep(60)
        except asyncio.CancelledError:
            swallowed.set()  # as a racing wait_for does: the cancellation is lost
        await asyncio.sleep(60)

    live = runtime()
    task = live.spawn(deaf(), "deaf")
    await asyncio.sleep(0)
    await asyncio.wait_for(live.stop(grace_seconds=5), timeout=10)
    assert swallowed.is_set() and task.cancelled()
    assert live.tasks == set()


async def test_a_task_that_never_stops_is_named_and_left_after_the_grace(caplog):
    caplog.set_level(logging.ERROR)
    released = asyncio.Event()

    async def stubborn() -> None:
        while not released.is_set():
            try:
                await asyncio.sleep(60)
            except asyncio.CancelledError:
                continue

    live = runtime()
    task = live.spawn(stubborn(), "stubborn")
    await asyncio.sleep(0)
    await asyncio.wait_for(live.stop(grace_seconds=0.3), timeout=5)
    assert not task.done()
    assert "still running at shutdown: stubborn" in caplog.text
    released.set()
    task.cancel()
    await asyncio.wait([task], timeout=2)
    assert task.done()
