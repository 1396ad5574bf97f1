"""The services and the web application as local processes: environment, start, readiness, stop."""

import asyncio
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import httpx

SERVICES = ("integrations", "ledger", "invoicing", "audit", "gateway")
"""The services that own a database."""
PROCESSES = (*SERVICES, "web")
"""Every process of the system: the services and the web application, which owns no data."""
DEFAULT_PORTS = {
    "gateway": 8000,
    "integrations": 8101,
    "ledger": 8102,
    "invoicing": 8103,
    "audit": 8104,
    "web": 8105,
}
COLORS = {"gateway": 36, "integrations": 35, "ledger": 32, "invoicing": 33, "audit": 34, "web": 31}


@dataclass
class StackConfig:
    amqp_url: str
    database_urls: dict[str, str]
    data_dir: Path
    ports: dict[str, int] = field(default_factory=lambda: dict(DEFAULT_PORTS))
    env: str = "development"
    extra_env: dict[str, str] = field(default_factory=dict)
    service_env_overrides: dict[str, dict[str, str]] = field(default_factory=dict)

    def url(self, service: str) -> str:
        return f"http://127.0.0.1:{self.ports[service]}"

    def service_env(self, service: str) -> dict[str, str]:
        env = {
            **os.environ,
            "KASA_ENV": self.env,
            "AMQP_URL": self.amqp_url,
            "HOST": "127.0.0.1",
            "PORT": str(self.ports[service]),
            "JWKS_URL": f"{self.url('gateway')}/.well-known/jwks.json",
            "PYTHONUNBUFFERED": "1",
            **self.extra_env,
        }
        if service in self.database_urls:
            env["DATABASE_URL"] = self.database_urls[service]
        if service == "gateway":
            env |= {
                "JWT_SIGNING_KEY_FILE": str(self.data_dir / "gateway" / "signing-key.pem"),
                **{f"{n.upper()}_URL": self.url(n) for n in PROCESSES if n != "gateway"},
            }
        if service == "web":
            env["GATEWAY_URL"] = self.url("gateway")
        env |= self.service_env_overrides.get(service, {})
        return env


def sqlite_urls(data_dir: Path) -> dict[str, str]:
    return {name: f"sqlite+aiosqlite:///{data_dir / name}.db" for name in SERVICES}


class ServiceProcess:
    """One service as a child process; logs go to a file or, prefixed, to our stdout.

    ``replica`` names a further process of the same service (its own port and log file, the
    same database and broker), with ``env`` added to its environment.
    """

    def __init__(
        self,
        name: str,
        config: StackConfig,
        log_dir: Path | None = None,
        *,
        replica: str | None = None,
        port: int | None = None,
        env: Mapping[str, str] | None = None,
    ) -> None:
        self.name = name
        self.config = config
        self.log_dir = log_dir
        self.label = f"{name}-{replica}" if replica else name
        self.port = port or config.ports[name]
        self.extra_env = dict(env or {})
        self.process: subprocess.Popen[bytes] | None = None
        self._log_file: IO[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def environment(self) -> dict[str, str]:
        return {**self.config.service_env(self.name), "PORT": str(self.port), **self.extra_env}

    def start(self) -> None:
        command = [sys.executable, "-m", f"kasa_{self.name}", "serve"]
        if self.log_dir:
            self.log_dir.mkdir(parents=True, exist_ok=True)
            self._log_file = open(self.log_dir / f"{self.label}.log", "ab")
            self.process = subprocess.Popen(
                command,
                env=self.environment(),
                stdout=self._log_file,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        else:
            self.process = subprocess.Popen(
                command,
                env=self.environment(),
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
            threading.Thread(target=self._relay_output, daemon=True).start()

    def _relay_output(self) -> None:
        assert self.process and self.process.stdout
        prefix = f"\x1b[{COLORS.get(self.name, 37)}m{self.label:>12} |\x1b[0m "
        for line in self.process.stdout:
            sys.stdout.write(prefix + line.decode(errors="replace"))
            sys.stdout.flush()

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    async def wait_ready(self, timeout: float = 60, path: str = "/health/ready") -> None:
        deadline = asyncio.get_running_loop().time() + timeout
        async with httpx.AsyncClient(timeout=2) as client:
            while True:
                if not self.running:
                    raise RuntimeError(
                        f"{self.label} exited with code {self.process and self.process.returncode}"
                    )
                try:
                    response = await client.get(self.url + path)
                    if response.status_code == 200:
                        return
                except httpx.HTTPError:
                    pass
                if asyncio.get_running_loop().time() > deadline:
                    raise TimeoutError(f"{self.label} not ready at {path} within {timeout:.0f}s")
                await asyncio.sleep(0.2)

    def kill(self) -> None:
        """SIGKILL: the crash a test wants, no cleanup at all."""
        if self.process and self.running:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()

    def stop(self, timeout: float = 10) -> None:
        if self.process and self.running:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.kill()
        if self._log_file:
            self._log_file.close()
            self._log_file = None


class Stack:
    """Every process of the system, started together and stopped together."""

    def __init__(self, config: StackConfig, log_dir: Path | None = None) -> None:
        self.config = config
        self.log_dir = log_dir
        self.services = {name: ServiceProcess(name, config, log_dir) for name in PROCESSES}

    def replica(
        self, name: str, replica: str, port: int, env: Mapping[str, str] | None = None
    ) -> ServiceProcess:
        """A further process of service ``name`` on ``port``, sharing its database and broker;
        the caller starts and stops it."""
        return ServiceProcess(name, self.config, self.log_dir, replica=replica, port=port, env=env)

    async def start(self, timeout: float = 90) -> None:
        for service in self.services.values():
            service.start()
        await asyncio.gather(*(s.wait_ready(timeout) for s in self.services.values()))

    async def restart(self, name: str, timeout: float = 60) -> None:
        self.services[name].stop()
        self.services[name].start()
        await self.services[name].wait_ready(timeout)

    def stop(self) -> None:
        for service in self.services.values():
            if service.process and service.running:
                os.killpg(service.process.pid, signal.SIGTERM)
        for service in self.services.values():
            service.stop()
