"""Service configuration from the environment, validated before anything starts."""

from typing import Literal
from urllib.parse import urlsplit

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEV_AMQP_URL = "amqp://guest:guest@127.0.0.1:5672/"


class ServiceSettings(BaseSettings):
    """Settings every service shares; a service subclasses it to add its own.

    Values come from plain environment variables (``DATABASE_URL``, ``AMQP_URL``, ``PORT``…):
    each service runs in its own process or container with its own environment.
    """

    model_config = SettingsConfigDict(extra="ignore", case_sensitive=False)

    service_name: str = "service"
    env: Literal["development", "test", "production"] = Field(
        default="development", validation_alias="KASA_ENV"
    )
    database_url: str = Field(validation_alias="DATABASE_URL")
    amqp_url: str = Field(default=DEV_AMQP_URL, validation_alias="AMQP_URL")
    host: str = Field(default="127.0.0.1", validation_alias="HOST")
    port: int = Field(default=8080, ge=1, le=65535, validation_alias="PORT")
    jwks_url: str = Field(
        default="http://127.0.0.1:8000/.well-known/jwks.json", validation_alias="JWKS_URL"
    )
    jwt_issuer: str = Field(default="kasa-gateway", validation_alias="JWT_ISSUER")
    jwt_audience: str = Field(default="kasa", validation_alias="JWT_AUDIENCE")
    log_level: str = Field(default="INFO", validation_alias="LOG_LEVEL")
    log_format: Literal["json", "text"] = Field(default="json", validation_alias="LOG_FORMAT")
    otel_exporter: Literal["none", "console", "otlp"] = Field(
        default="none", validation_alias="OTEL_TRACES_EXPORTER"
    )
    run_relay: bool = Field(default=True, validation_alias="RUN_OUTBOX_RELAY")
    run_consumers: bool = Field(default=True, validation_alias="RUN_CONSUMERS")
    outbox_batch_size: int = Field(
        default=500, ge=1, le=10_000, validation_alias="OUTBOX_BATCH_SIZE"
    )
    outbox_poll_seconds: float = Field(default=0.5, gt=0, validation_alias="OUTBOX_POLL_SECONDS")
    outbox_retention_hours: int = Field(
        default=168, ge=1, validation_alias="OUTBOX_RETENTION_HOURS"
    )
    consumer_prefetch: int = Field(default=200, ge=1, validation_alias="CONSUMER_PREFETCH")
    consumer_max_attempts: int = Field(default=5, ge=1, validation_alias="CONSUMER_MAX_ATTEMPTS")
    consumer_delivery_limit: int = Field(
        default=20, ge=2, validation_alias="CONSUMER_DELIVERY_LIMIT"
    )
    consumer_retry_delay_ms: int = Field(
        default=2_000, ge=10, validation_alias="CONSUMER_RETRY_DELAY_MS"
    )
    ops_token: str | None = Field(
        default=None,
        validation_alias="OPS_TOKEN",
        description="When set, /ops endpoints require it as a bearer token",
    )
    archive_max_age: str = Field(default="7D", validation_alias="EVENT_ARCHIVE_MAX_AGE")

    @model_validator(mode="after")
    def _refuse_development_defaults_in_production(self) -> "ServiceSettings":
        if self.env == "production":
            if urlsplit(self.amqp_url).username in (None, "", "guest"):
                raise ValueError("AMQP_URL must not use the default guest account in production")
        return self

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")
