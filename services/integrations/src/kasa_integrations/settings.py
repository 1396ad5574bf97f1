"""Integrations configuration."""

from pathlib import Path

from pydantic import Field, model_validator

from kasa_integrations.plugins.demo import MAX_COUNT as DEMO_MAX_COUNT
from kasa_servicekit.settings import ServiceSettings

DEFAULT_FIO_API_BASE_URL = "https://fioapi.fio.cz/v1/rest"


class IntegrationsSettings(ServiceSettings):
    service_name: str = "integrations"
    credentials_keys: str = Field(
        default="",
        validation_alias="CREDENTIALS_KEYS",
        description="Fernet keys for plugin credentials, comma-separated, newest first",
    )
    credentials_key_file: Path = Field(
        default=Path(".data/integrations/credentials-keys"),
        validation_alias="CREDENTIALS_KEY_FILE",
        description="A file of keys, one per line, newest first, read when CREDENTIALS_KEYS is "
        "empty; outside production a key is generated into it on first start",
    )
    fio_api_base_url: str = Field(
        default=DEFAULT_FIO_API_BASE_URL, validation_alias="FIO_API_BASE_URL"
    )

    demo_plugin_enabled: bool | None = Field(
        default=None,
        validation_alias="DEMO_PLUGIN_ENABLED",
        description="Offer the offline demo bank; unset: on outside production, off in production",
    )
    demo_plugin_max_count: int = Field(
        default=DEMO_MAX_COUNT,
        ge=1,
        le=DEMO_MAX_COUNT,
        validation_alias="DEMO_PLUGIN_MAX_COUNT",
        description="The most transactions one demo sync makes; a larger count is cut to it",
    )
    upload_rate_per_minute: int = Field(
        default=10,
        ge=1,
        validation_alias="UPLOAD_RATE_PER_MINUTE",
        description="File imports one workspace may send per minute (each process counts its "
        "own); more are refused with 429 and Retry-After",
    )
    upload_checks_at_once: int = Field(
        default=2,
        ge=1,
        validation_alias="UPLOAD_CHECKS_AT_ONCE",
        description="Uploaded files one process parses at the same time, off the event loop; "
        "more wait their turn",
    )

    sync_lease_seconds: float = Field(
        default=15.0,
        gt=1,
        validation_alias="SYNC_LEASE_SECONDS",
        description="How long a worker's claim on a running sync holds without a heartbeat",
    )
    sync_max_attempts: int = Field(
        default=3,
        ge=1,
        validation_alias="SYNC_MAX_ATTEMPTS",
        description="How many workers may claim one sync before an interrupted sync is failed",
    )
    sync_pickup_after_seconds: float = Field(
        default=10.0,
        gt=0,
        validation_alias="SYNC_PICKUP_AFTER_SECONDS",
        description="After this long unclaimed, a queued sync is claimed by the sweep",
    )

    @property
    def demo_plugin(self) -> bool:
        """Whether the demo bank is offered: as the operator says, else not in production."""
        if self.demo_plugin_enabled is not None:
            return self.demo_plugin_enabled
        return self.env != "production"

    @model_validator(mode="after")
    def _credentials_keys_required_in_production(self) -> "IntegrationsSettings":
        # A key generated on local disk would make credentials unreadable after a redeploy:
        # production takes keys only from the operator.
        if (
            self.env == "production"
            and not self.credentials_keys.strip()
            and not self.credentials_key_file.exists()
        ):
            raise ValueError(
                "set CREDENTIALS_KEYS, or CREDENTIALS_KEY_FILE to an existing file, in production"
            )
        return self
