"""Where the services and the broker are, from the environment."""

import os
from dataclasses import dataclass, field

SERVICES = ("gateway", "integrations", "ledger", "invoicing", "audit")
LOCAL_PORTS = {
    "gateway": 8000,
    "integrations": 8101,
    "ledger": 8102,
    "invoicing": 8103,
    "audit": 8104,
}


@dataclass(frozen=True)
class OpsConfig:
    amqp_url: str
    service_urls: dict[str, str] = field(default_factory=dict)
    ops_token: str | None = None

    @classmethod
    def from_env(cls) -> "OpsConfig":
        """From ``AMQP_URL``, ``KASA_<SERVICE>_URL`` (local stack by default), ``OPS_TOKEN``."""
        urls = {
            name: os.environ.get(f"KASA_{name.upper()}_URL", f"http://127.0.0.1:{port}")
            for name, port in LOCAL_PORTS.items()
        }
        return cls(
            amqp_url=os.environ.get("AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/"),
            service_urls=urls,
            ops_token=os.environ.get("OPS_TOKEN") or None,
        )

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.ops_token}"} if self.ops_token else {}

    def url(self, service: str) -> str:
        if service not in self.service_urls:
            raise KeyError(f"unknown service {service!r}; known: {', '.join(SERVICES)}")
        return self.service_urls[service]
