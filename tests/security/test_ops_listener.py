"""Low: ``/metrics`` and ``/ops/*`` live on each service's internal ops listener only.

The public port (the gateway's is the one door from outside) answers 404 for them; the ops
listener wants the long operator token on every ``/ops`` call; a short token stops the
service at startup.
"""

import asyncio
import os
import sys

import httpx
import pytest

from kasa_localstack.testing import free_port

pytestmark = [pytest.mark.e2e, pytest.mark.asyncio(loop_scope="session")]


async def test_the_gateways_public_port_answers_404_for_metrics_and_ops(system):
    user = await system.user()
    async with httpx.AsyncClient(base_url=system.gateway, timeout=10) as public:
        for path in ("/metrics", "/ops/info", "/ops/outbox", "/internal/archive"):
            response = await public.get(
                path, headers={"Authorization": f"Bearer {system.ops_token}"}
            )
            assert response.status_code == 404, (path, response.text)
        refused = await public.post(
            "/ops/outbox/republish",
            json={"since": "2020-01-01T00:00:00Z"},
            headers={"Authorization": f"Bearer {system.ops_token}"},
        )
        assert refused.status_code == 404
    # Signed in makes no difference either.
    assert (await user.get("/ops/info")).status_code == 404
    assert (await user.get("/metrics")).status_code == 404


async def test_the_ops_port_serves_metrics_and_wants_the_token_for_ops(system):
    async with httpx.AsyncClient(base_url=system.ops_url("gateway"), timeout=10) as ops:
        assert (await ops.get("/metrics")).status_code == 200
        assert (await ops.get("/ops/info")).status_code == 401
        wrong = await ops.get("/ops/info", headers={"Authorization": "Bearer " + "x" * 43})
        assert wrong.status_code == 401
        right = await ops.get("/ops/info", headers={"Authorization": f"Bearer {system.ops_token}"})
        assert right.status_code == 200 and right.json()["service"] == "gateway"
        # The public API is not on the ops listener.
        assert (await ops.get("/api/v1/me")).status_code == 404


async def test_a_short_ops_token_is_refused_at_startup(system):
    env = {
        **system.stack.config.service_env("ledger"),
        "OPS_TOKEN": "too-short-a-token",
        "PORT": str(free_port()),
        "OPS_PORT": str(free_port()),
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "kasa_ledger",
        "serve",
        "--no-migrate",
        env={**os.environ, **env},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    _, err = await asyncio.wait_for(process.communicate(), timeout=60)
    assert process.returncode == 2
    assert "OPS_TOKEN must be at least 32 characters" in err.decode()
