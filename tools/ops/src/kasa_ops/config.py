"""Where the services and the broker are, and the operator token, from the environment.

``kasa`` talks to each service's internal ops listener (``OPS_PORT``, the public port + 1000
in the local stack), never to its public port. The token is ``OPS_TOKEN``, or the file the
local stack generates (``KASA_OPS_TOKEN_FILE``, by default ``<KASA_DATA_DIR>/ops-token``).
The broker URL is ``AMQP_URL``, or the local stack's replay user (``kasa-ops``) when the
stack has made one.

A service that runs as several replicas may list each replica's ops listener, separated by
commas (``KASA_LEDGER_OPS_URL=http://ledger-0:9102,http://ledger-1:9102``): ``kasa status``
then asks every one whether it is ready, and every other command talks to the first.
"""

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

from kasa_servicekit.ops_client import OpsTargets

LOCAL_PORTS = {
    "gateway": 8000,
    "integrations": 8101,
    "ledger": 8102,
    "invoicing": 8103,
    "audit": 8104,
}
OPS_PORT_OFFSET = 1000
LOCAL_OPS_PORTS = {name: port + OPS_PORT_OFFSET for name, port in LOCAL_PORTS.items()}
"""Where the local stack's ops listeners are."""
LOCAL_AMQP = "127.0.0.1:5672"
REPLAY_USER = "kasa-ops"


def _data_dir() -> Path:
    return Path(os.environ.get("KASA_DATA_DIR") or ".data")


def _token() -> str | None:
    if token := os.environ.get("OPS_TOKEN", "").strip():
        return token
    path = Path(os.environ.get("KASA_OPS_TOKEN_FILE") or _data_dir() / "ops-token")
    try:
        return path.read_text().strip() or None
    except OSError:
        return None


def _amqp_url() -> str:
    if url := os.environ.get("AMQP_URL"):
        return url
    try:
        passwords = json.loads((_data_dir() / "broker-users.json").read_text())
        password = passwords[REPLAY_USER]
    except (OSError, ValueError, KeyError):
        return f"amqp://guest:guest@{LOCAL_AMQP}/"
    return f"amqp://{REPLAY_USER}:{quote(password, safe='')}@{LOCAL_AMQP}/"


def _listeners(value: str) -> tuple[str, ...]:
    return tuple(url.strip() for url in value.split(",") if url.strip())


@dataclass(frozen=True)
class OpsConfig(OpsTargets):
    """Where ``kasa`` reaches the system, read from its environment."""

    replica_urls: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    """Every replica's ops listener, per service (the first is ``service_urls``')."""

    @classmethod
    def from_env(cls) -> "OpsConfig":
        """From ``AMQP_URL``, ``KASA_<SERVICE>_OPS_URL`` (the local stack's ops listeners by
        default; several replicas' separated by commas) and ``OPS_TOKEN`` or the local
        stack's token file."""
        replicas = {
            name: _listeners(os.environ.get(f"KASA_{name.upper()}_OPS_URL", ""))
            or (f"http://127.0.0.1:{port}",)
            for name, port in LOCAL_OPS_PORTS.items()
        }
        urls = {name: listeners[0] for name, listeners in replicas.items()}
        return cls(
            amqp_url=_amqp_url(), service_urls=urls, ops_token=_token(), replica_urls=replicas
        )
