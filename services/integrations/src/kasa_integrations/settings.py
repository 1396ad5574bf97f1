"""Integrations configuration."""

from pathlib import Path

from pydantic import Field, model_validator

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
