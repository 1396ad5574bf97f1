"""Service configuration from the environment, validated before anything starts."""

from typing import Literal
from urllib.parse import unquote, urlsplit

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from kasa_servicekit.mail_relay import SmtpServer

DEV_AMQP_URL = "amqp://guest:guest@127.0.0.1:5672/"
MIN_OPS_TOKEN_LENGTH = 32
"""Shorter operator tokens are refused: the ops API can republish events and reset projections."""

# Passwords that ship in examples, images and earlier versions of this project: a database
# reached with one of them is reached by anyone who has read the same page.
DEFAULT_DATABASE_PASSWORDS = frozenset({"kasa", "postgres", "password", "secret", "changeme"})


def weak_database_password(url: str) -> bool:
    """True for a server database URL whose password is empty, a known default or the user.

    SQLite files have no password and are never weak here.
    """
    if url.startswith("sqlite"):
        return False
    parts = urlsplit(url)
    password = unquote(parts.password or "")
    return (
        not password
        or password.lower() in DEFAULT_DATABASE_PASSWORDS
        or password == unquote(parts.username or "")
    )


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
    migration_database_url: str | None = Field(
        default=None,
        validation_alias="MIGRATION_DATABASE_URL",
        description="The schema owner's URL, for migrations only; DATABASE_URL when unset",
    )
    startup_wait_seconds: float = Field(
        default=300,
        ge=0,
        validation_alias="STARTUP_WAIT_SECONDS",
        description="How long a starting service waits for its database before it gives up",
    )
    amqp_url: str = Field(default=DEV_AMQP_URL, validation_alias="AMQP_URL")
    host: str = Field(default="127.0.0.1", validation_alias="HOST")
    port: int = Field(default=8080, ge=1, le=65535, validation_alias="PORT")
    jwks_url: str = Field(
        default="http://127.0.0.1:8000/.well-known/jwks.json", validation_alias="JWKS_URL"
    )
    revoked_sessions_url: str | None = Field(
        default=None,
        validation_alias="REVOKED_SESSIONS_URL",
        description="The gateway's list of revoked sessions still in force; when unset, "
        "revoked-sessions.json beside JWKS_URL",
    )
    revocation_poll_seconds: float = Field(
        default=10.0,
        gt=0,
        le=300,
        validation_alias="REVOCATION_POLL_SECONDS",
        description="How often the list of revoked sessions is read again while the broker "
        "is away (revocations then arrive this late at most)",
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
        description="The bearer token of the ops listener; without one its /ops endpoints "
        f"refuse every call. At least {MIN_OPS_TOKEN_LENGTH} characters; required in production",
    )
    ops_host: str = Field(
        default="127.0.0.1",
        validation_alias="OPS_HOST",
        description="Address of the internal listener serving /metrics, /ops and /internal",
    )
    ops_port: int | None = Field(
        default=None,
        ge=1,
        le=65535,
        validation_alias="OPS_PORT",
        description="Port of the internal listener; PORT + 1000 when unset",
    )
    ops_failures_per_minute: int = Field(
        default=10,
        ge=1,
        validation_alias="OPS_FAILURES_PER_MINUTE",
        description="Wrong ops tokens one address may send per minute before it is refused",
    )
    event_sender_check: bool = Field(
        default=True,
        validation_alias="EVENT_SENDER_CHECK",
        description="Consumers refuse events not published by their owner's broker user",
    )
    event_broker_user_prefix: str = Field(
        default="kasa-",
        validation_alias="EVENT_BROKER_USER_PREFIX",
        description="A producer's broker user is this prefix and its name (kasa-ledger)",
    )
    event_replay_user: str = Field(
        default="kasa-ops",
        validation_alias="EVENT_REPLAY_USER",
        description="The broker user of `kasa replay` and `kasa dlq requeue`",
    )
    archive_max_age: str = Field(default="7D", validation_alias="EVENT_ARCHIVE_MAX_AGE")
    smtp_host: str | None = Field(
        default=None,
        validation_alias="SMTP_HOST",
        description="The SMTP server mail is relayed to; without one, mail waits in the outbox",
    )
    smtp_port: int = Field(default=25, ge=1, le=65535, validation_alias="SMTP_PORT")
    smtp_security: Literal["none", "starttls", "tls"] = Field(
        default="none",
        validation_alias="SMTP_SECURITY",
        description="starttls upgrades the connection; tls is implicit TLS (port 465)",
    )
    smtp_username: str | None = Field(default=None, validation_alias="SMTP_USERNAME")
    smtp_password: SecretStr | None = Field(default=None, validation_alias="SMTP_PASSWORD")
    mail_from: str = Field(
        default="Kasa <kasa@localhost>",
        validation_alias="MAIL_FROM",
        description="The From of every mail; its domain also names each Message-ID",
    )
    mail_max_attempts: int = Field(
        default=8,
        ge=1,
        validation_alias="MAIL_MAX_ATTEMPTS",
        description="Deliveries tried, with backoff, before a mail is parked for the operator",
    )
    mail_retry_seconds: float = Field(
        default=15,
        gt=0,
        validation_alias="MAIL_RETRY_SECONDS",
        description="The first wait after a failed delivery; it doubles, up to an hour",
    )
    run_mail_relay: bool = Field(default=True, validation_alias="RUN_MAIL_RELAY")

    @model_validator(mode="after")
    def _refuse_development_defaults_in_production(self) -> "ServiceSettings":
        if self.env == "production":
            if urlsplit(self.amqp_url).username in (None, "", "guest"):
                raise ValueError("AMQP_URL must not use the default guest account in production")
        return self

    @model_validator(mode="after")
    def _guard_the_ops_listener_and_the_bus(self) -> "ServiceSettings":
        if self.ops_token is not None and not self.ops_token.strip():
            self.ops_token = None  # an empty variable, as compose passes an unset one
        if self.ops_token is not None and len(self.ops_token) < MIN_OPS_TOKEN_LENGTH:
            raise ValueError(f"OPS_TOKEN must be at least {MIN_OPS_TOKEN_LENGTH} characters long")
        if self.ops_listener_port == self.port:
            raise ValueError("OPS_PORT must differ from PORT: the ops listener is internal")
        if self.env == "production":
            if self.ops_token is None:
                raise ValueError("OPS_TOKEN must be set in production")
            if not self.event_sender_check:
                raise ValueError("EVENT_SENDER_CHECK must stay on in production")
        return self

    @property
    def ops_listener_port(self) -> int:
        """The port of the internal listener: ``OPS_PORT``, else ``PORT`` + 1000."""
        if self.ops_port is not None:
            return self.ops_port
        return self.port + 1000 if self.port + 1000 <= 65535 else self.port - 1000

    def broker_user(self, producer: str) -> str:
        """The broker user a producer publishes as, e.g. ``kasa-ledger`` for ``ledger``."""
        return f"{self.event_broker_user_prefix}{producer}"

    @model_validator(mode="after")
    def _refuse_default_database_passwords(self) -> "ServiceSettings":
        if self.env == "production":
            for variable, url in (
                ("DATABASE_URL", self.database_url),
                ("MIGRATION_DATABASE_URL", self.migration_database_url),
            ):
                if url and weak_database_password(url):
                    raise ValueError(f"{variable} must carry a non-default password in production")
        return self

    @property
    def migration_url(self) -> str:
        """Where migrations run: the schema owner when configured, else the runtime role."""
        return self.migration_database_url or self.database_url

    @property
    def smtp_server(self) -> SmtpServer | None:
        """Where the mail relay delivers, or None while no SMTP server is configured."""
        if not self.smtp_host:
            return None
        password = self.smtp_password.get_secret_value() if self.smtp_password else None
        return SmtpServer(
            self.smtp_host, self.smtp_port, self.smtp_security, self.smtp_username, password
        )

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")
