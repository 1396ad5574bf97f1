"""Helpers for tests that drive the real system: API client, broker proxy, metrics."""

import asyncio
import contextlib
import json
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Awaitable, Callable, Mapping
from datetime import UTC, datetime
from typing import Any, TypeVar

import aio_pika
import asyncpg
import httpx
from prometheus_client.parser import text_string_to_metric_families

from kasa_localstack.mail_sink import link_token
from kasa_localstack.ports import free_port

T = TypeVar("T")


async def eventually(
    probe: Callable[[], Awaitable[T]],
    done: Callable[[T], bool],
    *,
    timeout: float = 60,
    interval: float = 0.3,
    what: str = "condition",
) -> T:
    """Poll ``probe`` until ``done`` holds for its result; bounded by ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        value = await probe()
        if done(value):
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} not reached within {timeout:.0f}s; last value: {value!r}")
        await asyncio.sleep(interval)


class KasaClient:
    """A user of the public API, through the gateway."""

    def __init__(self, base_url: str) -> None:
        self.http = httpx.AsyncClient(base_url=base_url, timeout=30)
        self.token: str | None = None
        self.user: dict[str, Any] = {}
        self._credentials: dict[str, str] = {}

    async def close(self) -> None:
        await self.http.aclose()

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"} if self.token else {}

    async def register_and_login(self, email: str, password: str = "correct horse battery") -> None:  # noqa: S107
        response = await self.http.post(
            "/api/v1/auth/register",
            json={
                "email": email,
                "password": password,
                "name": "Test User",
                "workspace_name": f"Workspace of {email}",
            },
        )
        assert response.status_code == 201, response.text
        self.user = response.json()
        self._credentials = {"email": email, "password": password}
        await self.sign_in_again()

    async def sign_in_again(self) -> None:
        """A fresh access token, for a run that outlives one."""
        response = await self.http.post("/api/v1/auth/token", json=self._credentials)
        assert response.status_code == 200, response.text
        self.token = response.json()["access_token"]

    async def get(self, path: str, **kwargs: Any) -> httpx.Response:
        return await self.http.get(
            path, headers={**self.headers, **kwargs.pop("headers", {})}, **kwargs
        )

    async def post(self, path: str, **kwargs: Any) -> httpx.Response:
        return await self.request("POST", path, **kwargs)

    async def put(self, path: str, **kwargs: Any) -> httpx.Response:
        return await self.request("PUT", path, **kwargs)

    async def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """Any call as this user, with their token."""
        return await self.http.request(
            method, path, headers={**self.headers, **kwargs.pop("headers", {})}, **kwargs
        )

    async def all_items(self, path: str, **params: Any) -> list[dict[str, Any]]:
        """Every item of a cursor-paginated list."""
        items: list[dict[str, Any]] = []
        cursor = None
        for _ in range(10_000):
            query = {**params, "limit": 500, **({"cursor": cursor} if cursor else {})}
            response = await self.get(path, params=query)
            assert response.status_code == 200, response.text
            page = response.json()
            items += page["items"]
            cursor = page["next_cursor"]
            if cursor is None:
                return items
        raise AssertionError("pagination did not end")

    async def count(self, path: str, **params: Any) -> int:
        return len(await self.all_items(path, **params))

    async def start_sync(self, count: int, offset: int = 0, **headers: str) -> str:
        body = {"count": count, "offset": offset} if offset else {"count": count}
        response = await self.post("/api/v1/plugins/demo/syncs", json=body, headers=headers)
        assert response.status_code == 202, response.text
        return str(response.json()["id"])

    async def wait_sync(self, sync_id: str, timeout: float = 120) -> dict[str, Any]:
        async def probe() -> dict[str, Any]:
            response = await self.get(f"/api/v1/syncs/{sync_id}")
            # A refusal (an expired token) is no answer to wait for.
            assert response.status_code == 200, response.text
            return response.json()

        return await eventually(
            probe,
            lambda s: s.get("status") in ("completed", "failed"),
            timeout=timeout,
            what=f"sync {sync_id} finished",
        )


async def verified(
    user: KasaClient,
    mail: Any,
    password: str = "correct horse battery",  # noqa: S107 - what register_and_login uses
) -> KasaClient:
    """Open the verification link the sign-up mailed to ``user`` (``mail``: the ``MailSink``)
    and sign them in again, so that their token carries ``email_verified``."""
    email = user.user["email"]
    found = await mail.wait_for(1, address=email, kind="email_verification")
    assert found, f"no verification mail reached {email}"
    answer = await user.http.post("/api/v1/auth/verify-email", json={"token": link_token(found[0])})
    assert answer.status_code == 200, answer.text
    response = await user.http.post(
        "/api/v1/auth/token", json={"email": email, "password": password}
    )
    assert response.status_code == 200, response.text
    user.token = response.json()["access_token"]
    return user


async def as_operator(
    stack: Any,
    user: KasaClient,
    password: str = "correct horse battery",  # noqa: S107 - what register_and_login uses
) -> KasaClient:
    """Make ``user`` an instance operator (``kasa-gateway grant-operator``) and sign them in
    again, so that their token carries the claim; ``stack`` is the running ``Stack``."""
    await stack.grant_operator(user.user["email"])
    response = await user.http.post(
        "/api/v1/auth/token", json={"email": user.user["email"], "password": password}
    )
    assert response.status_code == 200, response.text
    user.token = response.json()["access_token"]
    return user


async def run_kasa(env: Mapping[str, str], *args: str, timeout: float = 120) -> tuple[int, Any]:
    """Run the operator command with ``--json``: its exit code and its parsed report."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "kasa_ops",
        *args,
        "--json",
        env={**os.environ, **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), timeout=timeout)
    assert process.returncode is not None
    assert out, err.decode()
    return process.returncode, json.loads(out)


async def issue_invoice(user: KasaClient, minutes: int = 600) -> dict[str, Any]:
    """A supplier, a client, a project, ``minutes`` of work at 1,000 CZK/h, invoiced and issued."""

    async def ok(response: httpx.Response) -> Any:
        assert response.is_success, response.text
        return response.json()

    await ok(
        await user.http.put(
            "/api/v1/supplier",
            headers=user.headers,
            json={"name": "Studio", "iban": "CZ6508000000192000145399", "vat_payer": True},
        )
    )
    client = await ok(await user.post("/api/v1/clients", json={"name": "Acme", "currency": "CZK"}))
    project = await ok(
        await user.post(
            "/api/v1/projects",
            json={"client_id": client["id"], "name": "Site", "hourly_rate": "1000.00"},
        )
    )
    entry = await ok(
        await user.post(
            "/api/v1/work-entries",
            json={"project_id": project["id"], "work_date": "2026-03-02", "minutes": minutes},
        )
    )
    draft = await ok(
        await user.post(
            "/api/v1/invoices",
            json={"client_id": client["id"], "work_entry_ids": [entry["id"]], "vat_rate": "21"},
        )
    )
    return dict(await ok(await user.post(f"/api/v1/invoices/{draft['id']}/issue", json={})))


async def metric(base_url: str, name: str, **labels: str) -> float:
    """The value of one sample on a service's /metrics (0 when absent)."""
    async with httpx.AsyncClient(timeout=5) as client:
        text = (await client.get(f"{base_url}/metrics")).text
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name and all(sample.labels.get(k) == v for k, v in labels.items()):
                return float(sample.value)
    return 0.0


class TcpProxy:
    """A loopback TCP proxy a test can cut, to make one service lose the broker."""

    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        self.port = free_port()
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", self.port)

    async def cut(self) -> None:
        """Refuse new connections and drop the open ones."""
        if self._server:
            self._server.close()
            await self._server.wait_closed()
            self._server = None
        for writer in list(self._writers):
            writer.close()
        self._writers.clear()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            up_reader, up_writer = await asyncio.open_connection(*self.target)
        except OSError:
            writer.close()
            return
        self._writers |= {writer, up_writer}

        async def pipe(src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
            with contextlib.suppress(Exception):
                while data := await src.read(65536):
                    dst.write(data)
                    await dst.drain()
            dst.close()

        await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))
        self._writers -= {writer, up_writer}


def imported_transaction(workspace_id: str, external_id: str) -> dict[str, Any]:
    """An ``integrations.transaction.imported`` envelope of 99.90 CZK, as a dict."""
    return {
        "event_id": str(uuid.uuid4()),
        "event_type": "integrations.transaction.imported",
        "event_version": 1,
        "occurred_at": datetime.now(UTC).isoformat(),
        "producer": "integrations",
        "workspace_id": workspace_id,
        "actor": {"type": "plugin", "id": "demo"},
        "payload": {
            "plugin": "demo",
            "plugin_version": "1.0.0",
            "sync_id": str(uuid.uuid4()),
            "account": {"provider_account_id": "x", "currency": "CZK"},
            "external_id": external_id,
            "booking_date": "2026-02-01",
            "amount": "99.90",
            "direction": "income",
            "currency": "CZK",
        },
    }


async def publish_envelope(
    amqp_url: str, user_id: str | None, envelope: dict[str, Any], *, into_queue: str | None = None
) -> None:
    """Publish ``envelope`` to ``kasa.events`` under its routing key, or ``into_queue``
    straight through the default exchange (as a service that does not own it could)."""
    connection = await aio_pika.connect(amqp_url)
    try:
        channel = await connection.channel()
        exchange = (
            channel.default_exchange if into_queue else await channel.get_exchange("kasa.events")
        )
        key = f"{envelope['event_type']}.v{envelope['event_version']}"
        await exchange.publish(
            aio_pika.Message(
                json.dumps(envelope).encode(), message_id=envelope["event_id"], user_id=user_id
            ),
            routing_key=into_queue or key,
        )
    finally:
        await connection.close()


class RefusedTransactions:
    """A consumer bug, for tests that need parked messages: the ledger's database refuses
    every transaction whose external id starts with ``prefix`` until ``fix()``."""

    def __init__(self, ledger_database_url: str, prefix: str) -> None:
        self.url = ledger_database_url.replace("+asyncpg", "")
        self.prefix = prefix
        self.name = f"refuse_{uuid.uuid4().hex[:8]}"

    async def start(self) -> "RefusedTransactions":
        connection = await asyncpg.connect(self.url)
        try:
            await connection.execute(f"""
                CREATE FUNCTION {self.name}() RETURNS trigger AS $$
                BEGIN
                  IF NEW.external_id LIKE '{self.prefix}%' THEN
                    RAISE EXCEPTION 'refused for the test';
                  END IF;
                  RETURN NEW;
                END $$ LANGUAGE plpgsql;
                CREATE TRIGGER {self.name} BEFORE INSERT ON transactions
                  FOR EACH ROW EXECUTE FUNCTION {self.name}();
            """)
        finally:
            await connection.close()
        return self

    async def fix(self) -> None:
        connection = await asyncpg.connect(self.url)
        try:
            await connection.execute(f"DROP TRIGGER IF EXISTS {self.name} ON transactions")
        finally:
            await connection.close()
