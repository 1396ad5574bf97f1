"""A RabbitMQ cluster of several nodes on loopback, for tests that stop a node under load.

Test scaffolding, not part of the product. Every node is a ``rabbitmq-server`` process of this
object's own, with its node name, AMQP and distribution ports, data and log directories under
``base_dir``, and they all share a private Erlang port mapper (``epmd``) and cookie, so nothing
here can reach, or be reached by, the machine's own broker. Nodes are started and stopped by
process id, never by name.

RabbitMQ comes from the system's packages (installed when missing, as ``infra`` does).
"""

import contextlib
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kasa_localstack import infra

RABBITMQ_BIN = Path("/usr/lib/rabbitmq/bin")
"""The real scripts; ``/usr/sbin/rabbitmq*`` re-run them as the ``rabbitmq`` user with its
own home (and so its cookie), which would not reach these nodes."""

START_TIMEOUT_S = 120.0
STOP_TIMEOUT_S = 60.0


class ClusterError(RuntimeError):
    pass


def _tool(name: str) -> str:
    path = RABBITMQ_BIN / name
    if not path.exists():
        infra._apt_install("rabbitmq-server")
    return str(path)


@dataclass
class Node:
    """One node of the cluster: its name, ports, directories and, while running, process."""

    name: str
    amqp_port: int
    dist_port: int
    base: Path
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process else None


class RabbitCluster:
    """``len(amqp_ports)`` nodes named ``<prefix>-1@localhost`` …, clustered with the first.

    ``amqp_ports[i]`` is node i's AMQP listener; ``dist_ports[i]`` its Erlang distribution
    port. The command-line tools use ``cli_ports`` (a range of at least two) for their own
    distribution, and ``epmd_port`` is the private port mapper's.
    """

    def __init__(
        self,
        base_dir: Path,
        *,
        amqp_ports: tuple[int, ...] = (5781, 5782, 5783),
        dist_ports: tuple[int, ...] = (25781, 25782, 25783),
        cli_ports: tuple[int, int] = (25784, 25786),
        epmd_port: int = 5784,
        prefix: str = "kasa-cluster",
    ) -> None:
        if len(amqp_ports) != len(dist_ports):
            raise ValueError("one AMQP port and one distribution port per node")
        self.base_dir = base_dir
        self.cli_ports = cli_ports
        self.epmd_port = epmd_port
        self.home = base_dir / "home"
        self.nodes = [
            Node(f"{prefix}-{i + 1}@localhost", amqp, dist, base_dir / f"node-{i + 1}")
            for i, (amqp, dist) in enumerate(zip(amqp_ports, dist_ports, strict=True))
        ]
        self._epmd: subprocess.Popen[bytes] | None = None
        self._shims = base_dir / "bin"

    # --- addresses -------------------------------------------------------------------------

    @property
    def amqp_url(self) -> str:
        """The default user on the first node (the tests reach the nodes through a balancer)."""
        return f"amqp://guest:guest@127.0.0.1:{self.nodes[0].amqp_port}/"

    def node(self, name: str) -> Node:
        for node in self.nodes:
            if node.name == name:
                return node
        raise KeyError(f"no node {name} in this cluster")

    # --- environment -----------------------------------------------------------------------

    def _erlang_env(self) -> dict[str, str]:
        return {
            "HOME": str(self.home),
            "ERL_EPMD_PORT": str(self.epmd_port),
            "ERL_EPMD_ADDRESS": "127.0.0.1",
            "RABBITMQ_CTL_DIST_PORT_MIN": str(self.cli_ports[0]),
            "RABBITMQ_CTL_DIST_PORT_MAX": str(self.cli_ports[1]),
        }

    def cli_env(self, node: Node | None = None) -> dict[str, str]:
        """The environment the command-line tools need to reach ``node`` (the first one)."""
        return {
            **os.environ,
            **self._erlang_env(),
            "RABBITMQ_NODENAME": (node or self.nodes[0]).name,
        }

    def _node_env(self, node: Node) -> dict[str, str]:
        config = node.base / "rabbitmq.conf"
        return {
            **self.cli_env(node),
            "RABBITMQ_NODE_PORT": str(node.amqp_port),
            "RABBITMQ_NODE_IP_ADDRESS": "127.0.0.1",
            "RABBITMQ_DIST_PORT": str(node.dist_port),
            "RABBITMQ_CONFIG_FILE": str(config),
            "RABBITMQ_ADVANCED_CONFIG_FILE": str(node.base / "advanced.config"),
            "RABBITMQ_CONF_ENV_FILE": str(node.base / "rabbitmq-env.conf"),
            "RABBITMQ_ENABLED_PLUGINS_FILE": str(node.base / "enabled_plugins"),
            "RABBITMQ_MNESIA_BASE": str(node.base / "mnesia"),
            "RABBITMQ_LOG_BASE": str(node.base / "log"),
            # Three nodes share two cores: schedulers that spin while idle would eat them.
            "RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS": (
                "+sbwt none +sbwtdcpu none +sbwtdio none "
                "-kernel inet_dist_use_interface {127,0,0,1}"
            ),
        }

    def run(
        self,
        tool: str,
        *args: str,
        node: Node | None = None,
        check: bool = True,
        timeout: float = 60.0,
    ) -> subprocess.CompletedProcess[str]:
        """Run ``rabbitmqctl``/``rabbitmq-queues``/… against ``node`` (the first one)."""
        target = node or self.nodes[0]
        done = subprocess.run(
            [_tool(tool), "-n", target.name, *args],
            env=self.cli_env(target),
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        if check and done.returncode != 0:
            raise ClusterError(
                f"{tool} {' '.join(args)} on {target.name} failed: {done.stderr or done.stdout}"
            )
        return done

    @contextlib.contextmanager
    def as_local_broker(self) -> Iterator[None]:
        """Inside, ``infra``'s helpers (which run ``rabbitmqctl`` from ``PATH`` against the
        machine's broker) reach this cluster: e.g. ``infra.provision_broker_users``."""
        self._shims.mkdir(parents=True, exist_ok=True)
        exports = "".join(f"export {k}='{v}'\n" for k, v in self._erlang_env().items())
        exports += f"export RABBITMQ_NODENAME='{self.nodes[0].name}'\n"
        for tool in ("rabbitmqctl", "rabbitmq-queues", "rabbitmq-diagnostics"):
            shim = self._shims / tool
            shim.write_text(f'#!/bin/sh\n{exports}exec {_tool(tool)} "$@"\n')
            shim.chmod(0o700)
        path = os.environ.get("PATH", "")
        os.environ["PATH"] = f"{self._shims}{os.pathsep}{path}"
        try:
            yield
        finally:
            os.environ["PATH"] = path

    # --- lifecycle -------------------------------------------------------------------------

    def start(self) -> None:
        """Start every node, join them to the first and wait until all run as one cluster."""
        self.home.mkdir(parents=True, exist_ok=True)
        cookie = self.home / ".erlang.cookie"
        if not cookie.exists():
            cookie.write_text(secrets.token_hex(20))
            cookie.chmod(0o400)
        self._start_epmd()
        for node in self.nodes:
            self._prepare(node)
            self.start_node(node, wait=False)
        for node in self.nodes:
            self.await_node(node)
        # Each tool call boots an Erlang VM (seconds on a busy machine): the joins run side by
        # side, and a fresh node needs no reset before it joins.
        with ThreadPoolExecutor(len(self.nodes)) as pool:
            list(pool.map(self._join, self.nodes[1:]))
        running = set(self.running_nodes())
        if running != {n.name for n in self.nodes}:
            raise ClusterError(f"the cluster runs {sorted(running)}, not all its nodes")

    def _join(self, node: Node) -> None:
        self.run("rabbitmqctl", "stop_app", node=node)
        self.run("rabbitmqctl", "join_cluster", self.nodes[0].name, node=node)
        self.run("rabbitmqctl", "start_app", node=node)
        self.await_node(node)

    def _start_epmd(self) -> None:
        if self._epmd is not None and self._epmd.poll() is None:
            return
        epmd = shutil.which("epmd") or "/usr/bin/epmd"
        self._epmd = subprocess.Popen(
            [epmd, "-port", str(self.epmd_port), "-address", "127.0.0.1"],
            env=self.cli_env(),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        if not infra._wait_port("127.0.0.1", self.epmd_port, 10):
            raise ClusterError(f"epmd did not listen on {self.epmd_port}")

    def _prepare(self, node: Node) -> None:
        for sub in ("mnesia", "log"):
            (node.base / sub).mkdir(parents=True, exist_ok=True)
        (node.base / "rabbitmq.conf").write_text(
            f"listeners.tcp.default = 127.0.0.1:{node.amqp_port}\n"
            "log.console = false\n"
            "log.file.level = info\n"
        )
        (node.base / "advanced.config").write_text("[].\n")
        (node.base / "rabbitmq-env.conf").write_text("")
        (node.base / "enabled_plugins").write_text("[].\n")

    def start_node(self, node: Node, *, wait: bool = True) -> None:
        """Start (or start again) ``node``'s ``rabbitmq-server``; by default wait until it runs."""
        if node.running:
            return
        log = open(node.base / "log" / "server.out", "ab")
        try:
            node.process = subprocess.Popen(
                [_tool("rabbitmq-server")],
                env=self._node_env(node),
                cwd=node.base,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        finally:
            log.close()
        if wait:
            self.await_node(node)

    def await_node(self, node: Node, timeout: float = START_TIMEOUT_S) -> None:
        """Wait until ``node`` accepts AMQP connections: its listener opens last in its boot."""
        deadline = time.monotonic() + timeout
        while True:
            if not node.running:
                raise ClusterError(f"{node.name} exited; see {node.base / 'log'}")
            with contextlib.suppress(OSError):
                with socket.create_connection(("127.0.0.1", node.amqp_port), timeout=1):
                    return
            if time.monotonic() > deadline:
                raise ClusterError(f"{node.name} did not start within {timeout:.0f}s")
            time.sleep(0.3)

    def stop_node(self, node: Node, timeout: float = STOP_TIMEOUT_S) -> None:
        """Stop ``node`` as its supervisor would (SIGTERM to its process); SIGKILL it if it
        has not stopped within ``timeout``."""
        process = node.process
        if process is None or process.poll() is not None:
            return
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(10)
        # The runtime's helpers (erl_child_setup, inet_gethost) share the process group.
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, signal.SIGKILL)

    def stop(self) -> None:
        """Stop every node, then the port mapper; only the processes this object started."""
        for node in self.nodes:
            if node.running and node.process is not None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(node.process.pid, signal.SIGTERM)
        for node in self.nodes:
            self.stop_node(node)
        if self._epmd is not None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self._epmd.pid, signal.SIGKILL)
            self._epmd.wait(10)
            self._epmd = None

    # --- what the cluster holds ------------------------------------------------------------

    def running_nodes(self, via: Node | None = None) -> list[str]:
        target = via or next(n for n in self.nodes if n.running)
        status = json.loads(
            self.run("rabbitmqctl", "cluster_status", "--formatter", "json", node=target).stdout
        )
        return list(status.get("running_nodes", []))

    def queues(self, via: Node | None = None) -> list[dict[str, Any]]:
        """Every queue of the default virtual host: name, type, leader, members, online."""
        target = via or next(n for n in self.nodes if n.running)
        out = self.run(
            "rabbitmqctl",
            "list_queues",
            "name",
            "type",
            "leader",
            "members",
            "online",
            "--formatter",
            "json",
            node=target,
        ).stdout
        return list(json.loads(out))

    def leader_of(self, queue: str, via: Node | None = None) -> Node:
        """The node that leads quorum queue ``queue`` now."""
        for info in self.queues(via):
            if info["name"] == queue:
                return self.node(str(info["leader"]))
        raise ClusterError(f"no queue {queue}")
