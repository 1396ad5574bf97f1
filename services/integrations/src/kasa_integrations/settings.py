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
