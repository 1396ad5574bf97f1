"""Benchmark: one read endpoint called directly on its service and through the gateway.

Starts ledger and gateway as real processes on SQLite (loopback), seeds a workspace with a
page of transactions, then drives ``GET /api/v1/transactions?limit=20`` with a fixed number
of keep-alive connections for a fixed time, against the ledger directly and through the
gateway with each upstream client, alternating direct and gateway runs for ``--rounds``
rounds. Prints requests per second, p50/p99 latency, the added p50 and the mean time each
service spent per request by its own metrics. The load generator is a minimal HTTP/1.1
client on asyncio streams so it costs little CPU itself; it still shares the machine with
both services, so absolute figures are for comparison only.

    uv run python tests/perf/bench_gateway.py [--seconds 10] [--connections 1 32] [--rounds 3]
"""

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path
from urllib.parse import urlsplit

import httpx

from kasa_localstack import infra
from kasa_localstack.stack import DEFAULT_PORTS, ServiceProcess, StackConfig, sqlite_urls
from kasa_localstack.testing import free_port

PATH = "/api/v1/transactions?limit=20"
LEDGER_ROUTE = "/api/v1/transactions"
PROXY_ROUTE = "/api/v1/{resource:owned_resource}"


async def read_response(reader: asyncio.StreamReader) -> int:
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    headers = {
        k.strip().lower(): v.strip()
        for k, _, v in (line.partition(b":") for line in head.split(b"\r\n")[1:] if line)
    }
    if b"content-length" in headers:
        await reader.readexactly(int(headers[b"content-length"]))
    elif headers.get(b"transfer-encoding") == b"chunked":
        while True:
            size = int((await reader.readuntil(b"\r\n")).strip(), 16)
            await reader.readexactly(size + 2)
            if size == 0:
                break
    return status


async def connection(port: int, token: str, deadline: float, latencies: list[float]) -> int:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    request = (
        f"GET {PATH} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
        f"Authorization: Bearer {token}\r\nAccept: application/json\r\n\r\n"
    ).encode()
    errors = 0
    try:
        while time.perf_counter() < deadline:
            started = time.perf_counter()
            writer.write(request)
            await writer.drain()
            if await read_response(reader) != 200:
                errors += 1
            latencies.append(time.perf_counter() - started)
    finally:
        writer.close()
    return errors


async def drive(port: int, token: str, connections: int, seconds: float) -> dict[str, float]:
    warmup: list[float] = []
    await asyncio.gather(
        *(connection(port, token, time.perf_counter() + 1.0, warmup) for _ in range(connections))
    )
    latencies: list[float] = []
    started = time.perf_counter()
    errors = await asyncio.gather(
        *(connection(port, token, started + seconds, latencies) for _ in range(connections))
    )
    elapsed = time.perf_counter() - started
    ordered = sorted(latencies)
    return {
        "rps": len(latencies) / elapsed,
        "p50_ms": statistics.median(ordered) * 1000,
        "p99_ms": ordered[int(len(ordered) * 0.99) - 1] * 1000,
        "errors": sum(errors),
    }


async def server_seconds(ops_url: str, route: str) -> tuple[float, float]:
    """Total time and count of the service's own ``route`` requests, from the /metrics of its
    ops listener."""
    async with httpx.AsyncClient(timeout=10) as client:
        text = (await client.get(f"{ops_url}/metrics")).text
    labels = f'method="GET",route="{route}",status="200"'
    total = count = 0.0
    for line in text.splitlines():
        if labels in line:
            if line.startswith("kasa_http_request_seconds_sum"):
                total = float(line.rsplit(" ", 1)[1])
            elif line.startswith("kasa_http_request_seconds_count"):
                count = float(line.rsplit(" ", 1)[1])
    return total, count


async def timed_drive(
    config: StackConfig, target: str, token: str, connections: int, seconds: float
) -> dict[str, float]:
    """Drive ``target`` and add the mean time the ledger (and gateway) spent per request."""
    watched = {"ledger": LEDGER_ROUTE} | ({"gateway": PROXY_ROUTE} if target == "gateway" else {})
    before = {
        name: await server_seconds(config.ops_url(name), route) for name, route in watched.items()
    }
    result = await drive(config.ports[target], token, connections, seconds)
    for name, route in watched.items():
        total, count = await server_seconds(config.ops_url(name), route)
        spent, handled = total - before[name][0], count - before[name][1]
        result[f"{name}_ms"] = spent / handled * 1000 if handled else float("nan")
    return result


async def seed(gateway: str) -> str:
    async with httpx.AsyncClient(base_url=gateway, timeout=30) as client:
        email = f"bench-{uuid.uuid4().hex[:8]}@example.com"
        password = "benchmark password"
        registered = await client.post(
            "/api/v1/auth/register",
            json={"email": email, "password": password, "name": "Bench", "workspace_name": "B"},
        )
        registered.raise_for_status()
        token = (
            await client.post("/api/v1/auth/token", json={"email": email, "password": password})
        ).json()["access_token"]
        headers = {"Authorization": f"Bearer {token}"}
        for day in range(1, 21):
            await client.post(
                "/api/v1/transactions",
                headers=headers,
                json={
                    "type": "expense",
                    "amount": f"{day}.50",
                    "currency": "CZK",
                    "transacted_on": f"2026-01-{day:02d}",
                    "description": "benchmark",
                },
            )
        listed = await client.get(PATH, headers=headers)
        print(f"seeded: {len(listed.json()['items'])} transactions on the page", file=sys.stderr)
        return str(token)


def start(name: str, config: StackConfig, log_dir: Path, **env: str) -> ServiceProcess:
    config.service_env_overrides[name] = env
    process = ServiceProcess(name, config, log_dir)
    process.start()
    return process


def median_of(rounds: list[dict[str, float]], key: str) -> float:
    return statistics.median(r[key] for r in rounds)


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--connections", type=int, nargs="+", default=[1, 32])
    parser.add_argument("--clients", nargs="+", default=["aiohttp", "httpx"])
    parser.add_argument(
        "--rounds", type=int, default=1, help="alternate direct and gateway runs; report medians"
    )
    args = parser.parse_args()
    started_load = ", ".join(f"{x:.1f}" for x in os.getloadavg())

    data = Path(tempfile.mkdtemp(prefix="kasa-bench-"))
    ports = {name: free_port() for name in DEFAULT_PORTS}
    # A virtual host of its own: the run's events never reach another stack's queues.
    broker = os.environ.get("AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/")
    amqp_url = infra.fresh_vhost(broker, f"kasa-bench-{uuid.uuid4().hex[:8]}")
    config = StackConfig(
        amqp_url=amqp_url,
        database_urls=sqlite_urls(data),
        data_dir=data,
        ports=ports,
        extra_env={"LOG_LEVEL": "WARNING", "API_RATE_PER_MINUTE": "100000000"},
    )
    ledger = start("ledger", config, data / "logs")
    gateway = start("gateway", config, data / "logs")
    running = [ledger, gateway]
    # (path, connections) → one result per round; each gateway run follows a direct run at
    # the same concurrency, so a change in the machine's load hits both alike.
    runs: dict[tuple[str, int], list[dict[str, float]]] = {}
    added: dict[tuple[str, int], list[float]] = {}
    try:
        await ledger.wait_ready(path="/health/live")
        await gateway.wait_ready(path="/health/live")
        token = await seed(config.url("gateway"))
        for client in args.clients:
            gateway.stop()
            gateway = start("gateway", config, data / "logs", UPSTREAM_CLIENT=client)
            running.append(gateway)
            await gateway.wait_ready(path="/health/live")
            name = f"gateway ({client})"
            for _ in range(args.rounds):
                for connections in args.connections:
                    direct = await timed_drive(config, "ledger", token, connections, args.seconds)
                    proxied = await timed_drive(config, "gateway", token, connections, args.seconds)
                    runs.setdefault(("direct", connections), []).append(direct)
                    runs.setdefault((name, connections), []).append(proxied)
                    added.setdefault((name, connections), []).append(
                        proxied["p50_ms"] - direct["p50_ms"]
                    )
    finally:
        for process in running:
            process.stop()
        if amqp_url != broker:
            infra.delete_vhost(urlsplit(amqp_url).path.lstrip("/"))

    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"{os.cpu_count()} CPUs, load average {started_load} at start, {load} at the end")
    print(f"{args.seconds:.0f}s per run, medians of {args.rounds} round(s)")
    print(
        f"{'path':<20} {'conns':>5} {'req/s':>7} {'p50 ms':>8} {'p99 ms':>8} {'x direct':>8} "
        f"{'+p50 ms':>8} {'ledger ms':>9} {'gateway ms':>10} err"
    )
    for (name, connections), rounds in sorted(
        runs.items(), key=lambda item: item[0][0] != "direct"
    ):
        direct_rps = median_of(runs[("direct", connections)], "rps")
        extra = statistics.median(added[(name, connections)]) if name != "direct" else 0.0
        gateway_ms = median_of(rounds, "gateway_ms") if name != "direct" else float("nan")
        print(
            f"{name:<20} {connections:>5} {median_of(rounds, 'rps'):>7.0f} "
            f"{median_of(rounds, 'p50_ms'):>8.2f} {median_of(rounds, 'p99_ms'):>8.2f} "
            f"{median_of(rounds, 'rps') / direct_rps:>8.2f} {extra:>8.2f} "
            f"{median_of(rounds, 'ledger_ms'):>9.2f} {gateway_ms:>10.2f} "
            f"{int(sum(r['errors'] for r in rounds))}"
        )
    print(
        "+p50 ms: median over rounds of (gateway p50 - direct p50 of the run just before). "
        "ledger ms / gateway ms: mean time per request inside each service, from its own "
        "kasa_http_request_seconds (warm-up included)"
    )


if __name__ == "__main__":
    asyncio.run(main())
