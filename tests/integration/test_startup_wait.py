"""A service started before its database waits and retries, and says why; it gives up only
after ``STARTUP_WAIT_SECONDS``, naming the last reason. A real service process on PostgreSQL."""

import asyncio
import os
import sys
import time
from urllib.parse import urlsplit, urlunsplit

import httpx
import pytest

from kasa_localstack.testing import TcpProxy, free_port

pytestmark = [pytest.mark.integration, pytest.mark.asyncio(loop_scope="session")]

OPS_TOKEN = "startup-wait-test-token-0123456789abcdef"


def through(url: str, port: int) -> str:
    parts = urlsplit(url)
    userinfo, _, _ = parts.netloc.rpartition("@")
    return urlunsplit(parts._replace(netloc=f"{userinfo}@127.0.0.1:{port}"))


async def start_ledger(
    database_url: str, wait_seconds: float
) -> tuple[asyncio.subprocess.Process, int]:
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "STARTUP_WAIT_SECONDS": str(wait_seconds),
        "PORT": str(port),
        "OPS_PORT": str(free_port()),
        "OPS_TOKEN": OPS_TOKEN,
        "AMQP_URL": "amqp://guest:guest@127.0.0.1:1/",
        "LOG_FORMAT": "text",
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "kasa_ledger",
        "serve",
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    return process, port


async def line_with(process: asyncio.subprocess.Process, text: str, seconds: float) -> str:
    assert process.stdout is not None
    seen: list[str] = []
    async with asyncio.timeout(seconds):
        while line := (await process.stdout.readline()).decode(errors="replace"):
            seen.append(line)
            if text in line:
                return line
    raise AssertionError(f"no line with {text!r}; the service said:\n{''.join(seen)}")


async def stop(process: asyncio.subprocess.Process) -> None:
    if process.returncode is None:
        process.terminate()
        try:
            await asyncio.wait_for(process.wait(), 20)
        except TimeoutError:
            process.kill()
            await process.wait()


async def test_a_service_started_before_its_database_waits_then_serves(fresh_database):
    target = urlsplit(fresh_database)
    proxy = TcpProxy(target.hostname or "127.0.0.1", target.port or 5432)
    process, port = await start_ledger(through(fresh_database, proxy.port), wait_seconds=120)
    try:
        # Nothing listens on the proxy's port yet: the database is out of reach.
        said = await line_with(process, "is not reachable yet", 60)
        assert f"127.0.0.1:{proxy.port}" in said and "ConnectionRefusedError" in said
        assert f":{target.password}@" not in said, "the password stays out of the log"
        assert process.returncode is None, "it waits; it does not exit"

        await proxy.start()
        await line_with(process, "answers after", 60)
        deadline = time.monotonic() + 60
        async with httpx.AsyncClient() as client:
            while True:
                try:
                    live = await client.get(f"http://127.0.0.1:{port}/health/live")
                    if live.status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                assert time.monotonic() < deadline, "the service never served"
                assert process.returncode is None, "the service exited"
                await asyncio.sleep(0.3)
    finally:
        await stop(process)
        await proxy.cut()


async def test_a_service_whose_database_never_answers_exits_saying_why(fresh_database):
    closed = free_port()
    process, _ = await start_ledger(through(fresh_database, closed), wait_seconds=2)
    try:
        said = await line_with(process, "stayed unreachable", 60)
        assert f"127.0.0.1:{closed}" in said and "ConnectionRefusedError" in said
        assert "ledger does not start" in said
        assert await asyncio.wait_for(process.wait(), 30) == 3
    finally:
        await stop(process)
