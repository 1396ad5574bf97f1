"""Gateway configuration."""

from pathlib import Path

from pydantic import Field, model_validator

from kasa_servicekit.settings import ServiceSettings


class GatewaySettings(ServiceSettings):
    service_name: str = "gateway"
    port: int = Field(default=8000, ge=1, le=65535, validation_alias="PORT")
    signing_key_file: Path = Field(
        default=Path(".data/gateway/signing-key.pem"), validation_alias="JWT_SIGNING_KEY_FILE"
    )
    access_token_minutes: int = Field(
        default=15, ge=1, le=60, validation_alias="ACCESS_TOKEN_MINUTES"
    )
    refresh_token_days: int = Field(default=30, ge=1, validation_alias="REFRESH_TOKEN_DAYS")
    integrations_url: str = Field(
        default="http://127.0.0.1:8101", validation_alias="INTEGRATIONS_URL"
    )
    ledger_url: str = Field(default="http://127.0.0.1:8102", validation_alias="LEDGER_URL")
    invoicing_url: str = Field(default="http://127.0.0.1:8103", validation_alias="INVOICING_URL")
    audit_url: str = Field(default="http://127.0.0.1:8104", validation_alias="AUDIT_URL")
    upstream_timeout_s: float = Field(
        default=30.0, gt=0, validation_alias="UPSTREAM_TIMEOUT_SECONDS"
    )

    @model_validator(mode="after")
    def _signing_key_must_exist_in_production(self) -> "GatewaySettings":
        # Outside development a missing key would silently mint a new one and log everybody
        # out; refuse to start instead.
        if self.env == "production" and not self.signing_key_file.exists():
            raise ValueError(f"JWT_SIGNING_KEY_FILE {self.signing_key_file} does not exist")
        return self
