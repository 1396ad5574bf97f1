"""The services and the web application as local processes: environment, start, readiness, stop."""

import asyncio
import os
import secrets
import signal
import subprocess
import sys
import threading
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO
from urllib.parse import urlsplit, urlunsplit

import httpx

from kasa_localstack.ports import free_port

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
OPS_PORT_OFFSET = 1000
"""A service's ops listener is on its port + 1000 (gateway 9000, integrations 9101, …)."""
OPS_TOKEN_FILE = "ops-token"  # noqa: S105 - a file name
"""In the data directory: the operator token the stack generates and ``kasa`` reads."""
BROKER_USERS_FILE = "broker-users.json"
"""In the data directory: the passwords of the services' own broker users."""


def _with_credentials(url: str, credentials_from: str) -> str:
    """``url`` with the user and password of ``credentials_from``: where, but as whom."""
    parts, source = urlsplit(url), urlsplit(credentials_from)
    address = parts.netloc.rsplit("@", 1)[-1]
    userinfo = source.netloc.rsplit("@", 1)[0] if "@" in source.netloc else ""
    netloc = f"{userinfo}@{address}" if userinfo else address
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


@dataclass
class StackConfig:
    amqp_url: str
    database_urls: dict[str, str]
    data_dir: Path
    ports: dict[str, int] = field(default_factory=lambda: dict(DEFAULT_PORTS))
    env: str = "development"
    extra_env: dict[str, str] = field(default_factory=dict)
    service_env_overrides: dict[str, dict[str, str]] = field(default_factory=dict)
    migration_database_urls: dict[str, str] = field(default_factory=dict)
    """The schema owners' URLs, when a service migrates as another role than it runs as."""
    broker_urls: dict[str, str] = field(default_factory=dict)
    """Each service's AMQP URL as its own broker user (and ``ops``: the replay user's).
    Empty: the services share ``amqp_url`` and their sender check is off."""
    broker_user_prefix: str = "kasa-"
    """A service's broker user is this prefix and its name; tests use one of their own."""
    ops_token: str | None = None
    """The operator token of every service's ops listener; generated when None."""
    ops_ports: dict[str, int] = field(default_factory=dict)
    """Each service's ops listener port; port + 1000, or a free one, when missing."""
    smtp_port: int | None = None
    """The loopback SMTP server (``MailSink``) the services deliver mail to; none: mail waits
    in their outboxes."""

    def url(self, service: str) -> str:
        return f"http://127.0.0.1:{self.ports[service]}"

    def ops_url(self, service: str) -> str:
        """Where ``kasa`` reaches the service's /ops API and /metrics."""
        return f"http://127.0.0.1:{self.ops_port(service)}"

    def ops_port(self, service: str) -> int:
        if service not in self.ops_ports:
            port = self.ports[service]
            default = DEFAULT_PORTS.get(service) == port
            self.ops_ports[service] = port + OPS_PORT_OFFSET if default else free_port()
        return self.ops_ports[service]

    def secure(self) -> None:
        """Give the stack its operator token and, on a local broker, one broker user per
        service (see ``infra.provision_broker_users``). Idempotent."""
        from kasa_localstack import infra

        if self.ops_token is None:
            self.ops_token = load_ops_token(self.data_dir)
        for service in SERVICES:
            self.ops_port(service)
        if self.broker_urls:
            return
        urls = infra.provision_broker_users(
            self.amqp_url,
            user_prefix=self.broker_user_prefix,
            passwords_file=self.data_dir / BROKER_USERS_FILE,
        )
        if urls is None:
            warnings.warn(
                f"the broker at {urlsplit(self.amqp_url).hostname} is not local: every service "
                "shares AMQP_URL and the EVENT SENDER CHECK IS OFF, so any of them can forge "
                "another's events; production refuses this",
                stacklevel=2,
            )
            return
        self.broker_urls = urls

    def broker_url(self, service: str) -> str:
        """The AMQP URL ``service`` (or ``ops``) connects with."""
        return self.broker_urls.get(service, self.amqp_url)

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
        # Never one inherited from the shell: it would migrate someone else's database.
        env.pop("MIGRATION_DATABASE_URL", None)
        if service in self.migration_database_urls:
            env["MIGRATION_DATABASE_URL"] = self.migration_database_urls[service]
        if self.smtp_port is not None and service in SERVICES:
            env |= {"SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(self.smtp_port)}
        if service in ("gateway", "invoicing"):
            # Links in mail, invitations and portal shares lead to this stack's gateway.
            env["PUBLIC_URL"] = self.url("gateway")
        if service == "gateway":
            env |= {
                "JWT_SIGNING_KEY_FILE": str(self.data_dir / "gateway" / "signing-key.pem"),
                **{f"{n.upper()}_URL": self.url(n) for n in PROCESSES if n != "gateway"},
                **self._operator_env(),
            }
        if service == "web":
            env["GATEWAY_URL"] = self.url("gateway")
        if service in SERVICES:
            env |= self._bus_and_ops_env(service)
        else:
            env.pop("AMQP_URL", None)  # the web uses no broker: it gets no credentials for one
        env |= self.service_env_overrides.get(service, {})
        return self.as_own_broker_user(service, env)

    def _operator_env(self) -> dict[str, str]:
        """The gateway's operator API reaches what ``kasa`` does: every ops listener, and the
        broker as the replay user."""
        return {
            **{f"{n.upper()}_OPS_URL": self.ops_url(n) for n in SERVICES},
            "OPERATOR_AMQP_URL": self.broker_url("ops"),
        }

    def _bus_and_ops_env(self, service: str) -> dict[str, str]:
        env = {
            "AMQP_URL": self.broker_url(service),
            "EVENT_SENDER_CHECK": "true" if self.broker_urls else "false",
            "EVENT_BROKER_USER_PREFIX": self.broker_user_prefix,
            "EVENT_REPLAY_USER": f"{self.broker_user_prefix}ops",
            "OPS_HOST": "127.0.0.1",
            "OPS_PORT": str(self.ops_port(service)),
        }
        if self.ops_token:
            env["OPS_TOKEN"] = self.ops_token
        return env

    def as_own_broker_user(self, service: str, env: dict[str, str]) -> dict[str, str]:
        """An override (a proxy, a replica's URL) may change where a service reaches the
        broker, never as whom: with per-service users it always connects as its own."""
        if service in self.broker_urls and "AMQP_URL" in env:
            env["AMQP_URL"] = _with_credentials(env["AMQP_URL"], self.broker_urls[service])
        return env


def load_ops_token(data_dir: Path) -> str:
    """The stack's operator token from ``data_dir/ops-token``, made (0600) on first use."""
    path = data_dir / OPS_TOKEN_FILE
    if path.exists():
        token = path.read_text().strip()
        if len(token) >= 32:
            return token
    data_dir.mkdir(parents=True, exist_ok=True)
    token = secrets.token_urlsafe(32)
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))
    path.chmod(0o600)
    path.write_text(token + "\n")
    return token


PRIVATE_DIR = 0o700
PRIVATE_FILE = 0o600


def private_data_dir(data_dir: Path) -> Path:
    """``data_dir`` and the services' key directories, readable by this user only.

    They hold the databases, the token signing key, the credentials keys and the logs. An
    existing directory is tightened too: earlier versions made it world-readable.
    """
    for directory in (data_dir, data_dir / "gateway", data_dir / "integrations"):
        directory.mkdir(mode=PRIVATE_DIR, parents=True, exist_ok=True)
        directory.chmod(PRIVATE_DIR)
    return data_dir


def private_file(path: Path) -> Path:
    """Create ``path`` (or tighten it) so that only this user may read or write it."""
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT, PRIVATE_FILE))
    path.chmod(PRIVATE_FILE)
    return path


def sqlite_urls(data_dir: Path) -> dict[str, str]:
    """Each service's SQLite file in ``data_dir``, created readable by this user only.

    SQLite gives its ``-wal`` and ``-shm`` files the mode of the database file.
    """
    private_data_dir(data_dir)
    return {
        name: f"sqlite+aiosqlite:///{private_file(data_dir / f'{name}.db')}" for name in SERVICES
    }


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
        # A replica needs an ops listener of its own, next to the first process's.
        self.ops_port = free_port() if replica else None
        self.extra_env = dict(env or {})
        self.process: subprocess.Popen[bytes] | None = None
        self._log_file: IO[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ops_url(self) -> str:
        return f"http://127.0.0.1:{self.ops_port or self.config.ops_port(self.name)}"

    def environment(self) -> dict[str, str]:
        env = {**self.config.service_env(self.name), "PORT": str(self.port), **self.extra_env}
        if self.ops_port and self.name in SERVICES:
            env["OPS_PORT"] = str(self.ops_port)
        return self.config.as_own_broker_user(self.name, env)

    def start(self) -> None:
        command = [sys.executable, "-m", f"kasa_{self.name}", "serve"]
        if self.log_dir:
            self.log_dir.mkdir(mode=PRIVATE_DIR, parents=True, exist_ok=True)
            self._log_file = open(private_file(self.log_dir / f"{self.label}.log"), "ab")
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
        private_data_dir(self.config.data_dir)
        await asyncio.to_thread(self.config.secure)
        for service in self.services.values():
            service.start()
        await asyncio.gather(*(s.wait_ready(timeout) for s in self.services.values()))

    async def grant_operator(self, email: str) -> str:
        """Make the user with ``email`` an instance operator (``kasa-gateway grant-operator``,
        on the gateway's database); what the command said."""
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "kasa_gateway",
            "grant-operator",
            email,
            env=self.config.service_env("gateway"),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        out, _ = await process.communicate()
        if process.returncode != 0:
            raise RuntimeError(f"grant-operator {email} failed: {out.decode(errors='replace')}")
        return out.decode().strip()

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
