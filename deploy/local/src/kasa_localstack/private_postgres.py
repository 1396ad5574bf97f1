"""A PostgreSQL server of a test's own, in a directory of its own, that the test may restart.

Test scaffolding, not part of the product. ``initdb`` makes a fresh cluster under
``base_dir`` and ``postgres`` serves it on its own loopback port as a child process of ours,
so a restart (fast shutdown by process id, then start again) touches no other server on this
machine. As root, the server runs as the ``postgres`` system user, which PostgreSQL requires.

PostgreSQL comes from the system's packages (installed when missing, as ``infra`` does).
"""

import asyncio
import contextlib
import glob
import os
import pwd
import secrets
import shutil
import signal
import subprocess
import time
from pathlib import Path

from kasa_localstack import infra

STOP_TIMEOUT_S = 60.0
START_TIMEOUT_S = 60.0


class PostgresError(RuntimeError):
    pass


def _bin_dir() -> Path:
    """The newest installed server's programs (``initdb`` and ``postgres`` are not on PATH)."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=_version)
    if not found:
        infra._apt_install("postgresql")
        found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=_version)
    if not found:
        raise PostgresError("no PostgreSQL server programs under /usr/lib/postgresql")
    return Path(found[-1]).parent


def _server() -> str:
    return str(_bin_dir() / "postgres")


def _version(initdb: str) -> int:
    try:
        return int(Path(initdb).parent.parent.name)
    except ValueError:
        return 0


class PrivatePostgres:
    """One server on ``127.0.0.1:port`` with a superuser ``postgres`` and a random password.

    ``settings`` are passed as ``-c name=value``; the defaults trade durability for speed,
    which a throwaway test cluster may: a fast shutdown still writes everything out.
    """

    def __init__(self, base_dir: Path, port: int, settings: dict[str, str] | None = None) -> None:
        self.base_dir = base_dir
        self.data = base_dir / "data"
        self.log = base_dir / "server.log"
        self.port = port
        self.password = secrets.token_urlsafe(24)
        self.settings = {
            "listen_addresses": "127.0.0.1",
            "unix_socket_directories": str(base_dir),
            "max_connections": "400",
            "fsync": "off",
            "synchronous_commit": "off",
            "full_page_writes": "off",
            **(settings or {}),
        }
        self.process: subprocess.Popen[bytes] | None = None
        self._user: pwd.struct_passwd | None = None

    @property
    def admin_url(self) -> str:
        """The superuser's URL, as ``infra``'s helpers take it (``PG_ADMIN_URL``)."""
        return f"postgresql://postgres:{self.password}@127.0.0.1:{self.port}/postgres"

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def _run_as(self) -> dict[str, int]:
        """Popen's ``user``/``group``: the ``postgres`` system user when we are root."""
        if os.geteuid() != 0:
            return {}
        if self._user is None:
            try:
                self._user = pwd.getpwnam("postgres")
            except KeyError:
                infra._apt_install("postgresql")
                self._user = pwd.getpwnam("postgres")
        return {"user": self._user.pw_uid, "group": self._user.pw_gid}

    def init(self) -> None:
        """A fresh cluster in ``base_dir/data``, password authentication over TCP."""
        bin_dir = _bin_dir()
        self.base_dir.mkdir(parents=True, exist_ok=True)
        as_user = self._run_as()
        password_file = self.base_dir / "password"
        password_file.write_text(self.password + "\n")
        if as_user:
            # The server's user must own its directories; the base must let it in.
            for path in (self.base_dir, password_file):
                os.chown(path, as_user["user"], as_user["group"])
        self.base_dir.chmod(0o700)
        password_file.chmod(0o600)
        done = subprocess.run(
            [
                str(bin_dir / "initdb"),
                "-D",
                str(self.data),
                "-U",
                "postgres",
                f"--pwfile={password_file}",
                "--auth-host=scram-sha-256",
                "--auth-local=peer",
                "--encoding=UTF8",
                "--locale=C",
            ],
            capture_output=True,
            text=True,
            cwd=self.base_dir,
            **as_user,  # type: ignore[call-overload]
        )
        password_file.unlink()
        if done.returncode != 0:
            raise PostgresError(f"initdb failed: {done.stderr or done.stdout}")

    def start(self, timeout: float = START_TIMEOUT_S) -> None:
        """Start the server and wait until the superuser can connect."""
        if self.running:
            return
        arguments = [f"-c{name}={value}" for name, value in self.settings.items()]
        log = open(self.log, "ab")
        try:
            self.process = subprocess.Popen(
                [_server(), "-D", str(self.data), "-p", str(self.port), *arguments],
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=self.base_dir,
                start_new_session=True,
                **self._run_as(),  # type: ignore[call-overload]
            )
        finally:
            log.close()
        self.wait_ready(timeout)

    def wait_ready(self, timeout: float = START_TIMEOUT_S) -> None:
        deadline = time.monotonic() + timeout
        while True:
            if not self.running:
                raise PostgresError(f"postgres exited; see {self.log}")
            if infra._port_open("127.0.0.1", self.port):
                if asyncio.run(infra._pg_ok(self.admin_url)):
                    return
            if time.monotonic() > deadline:
                raise PostgresError(f"postgres did not accept connections within {timeout:.0f}s")
            time.sleep(0.3)

    def stop(self, timeout: float = STOP_TIMEOUT_S) -> None:
        """Fast shutdown (SIGINT to the postmaster: sessions end, everything is written out);
        SIGQUIT, then SIGKILL, when it does not end in time."""
        process = self.process
        if process is None or process.poll() is not None:
            return
        for sig, wait in ((signal.SIGINT, timeout), (signal.SIGQUIT, 10.0)):
            with contextlib.suppress(ProcessLookupError):
                os.kill(process.pid, sig)
            try:
                process.wait(wait)
                return
            except subprocess.TimeoutExpired:
                continue
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(10)

    def restart(self) -> float:
        """Stop and start again on the same port; the seconds it was away."""
        started = time.monotonic()
        self.stop()
        self.start()
        return time.monotonic() - started

    def remove(self) -> None:
        """Stop, then delete the cluster's directory."""
        self.stop()
        shutil.rmtree(self.base_dir, ignore_errors=True)
