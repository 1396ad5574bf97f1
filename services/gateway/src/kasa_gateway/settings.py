"""Gateway configuration."""

from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import unquote, urlsplit

from pydantic import Field, field_validator, model_validator
from pydantic_settings import NoDecode

from kasa_gateway.domain.client_address import parse_networks
from kasa_servicekit.ops_client import SERVICES, OpsTargets
from kasa_servicekit.settings import ServiceSettings


class GatewaySettings(ServiceSettings):
    service_name: str = "gateway"
    port: int = Field(default=8000, ge=1, le=65535, validation_alias="PORT")
    signing_key_file: Path = Field(
        default=Path(".data/gateway/signing-key.pem"), validation_alias="JWT_SIGNING_KEY_FILE"
    )
    previous_key_files: Annotated[list[Path], NoDecode] = Field(
        default_factory=list,
        validation_alias="JWT_PREVIOUS_KEY_FILES",
        description="Comma-separated retired signing keys, still published in the JWKS",
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
    web_url: str = Field(
        default="http://127.0.0.1:8105",
        validation_alias="WEB_URL",
        description="The web application, which serves every path that is not the API's",
    )
    upstream_client: Literal["aiohttp", "httpx"] = Field(
        default="aiohttp", validation_alias="UPSTREAM_CLIENT"
    )
    upstream_timeout_s: float = Field(
        default=30.0, gt=0, validation_alias="UPSTREAM_TIMEOUT_SECONDS"
    )

    web_session_hours: int = Field(default=12, ge=1, validation_alias="WEB_SESSION_HOURS")
    cookie_secure: bool = Field(default=True, validation_alias="SESSION_COOKIE_SECURE")
    invitation_days: int = Field(default=7, ge=1, validation_alias="INVITATION_DAYS")
    invitation_resends_per_hour: int = Field(
        default=3,
        ge=1,
        validation_alias="INVITATION_RESENDS_PER_HOUR",
        description="New links (each mailed) one invitation may get per hour (429 beyond)",
    )
    public_url: str = Field(
        default="http://127.0.0.1:8000",
        validation_alias="PUBLIC_URL",
        description="Where users reach the gateway; invitation links start with it",
    )
    trusted_proxies: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        validation_alias="TRUSTED_PROXIES",
        description="Comma-separated addresses or CIDR networks of reverse proxies in front of "
        "the gateway whose X-Forwarded-For is believed; empty: the socket peer is the client",
    )
    login_failures_before_delay: int = Field(
        default=5, ge=1, validation_alias="LOGIN_FAILURES_BEFORE_DELAY"
    )
    login_first_delay_seconds: int = Field(
        default=60, ge=1, validation_alias="LOGIN_FIRST_DELAY_SECONDS"
    )
    login_max_delay_minutes: int = Field(
        default=15, ge=1, validation_alias="LOGIN_MAX_DELAY_MINUTES"
    )
    login_failure_window_minutes: int = Field(
        default=60, ge=1, validation_alias="LOGIN_FAILURE_WINDOW_MINUTES"
    )
    login_rate_per_account_address: int = Field(
        default=10, ge=1, validation_alias="LOGIN_RATE_PER_ACCOUNT_ADDRESS_PER_MINUTE"
    )
    login_rate_per_address: int = Field(
        default=30, ge=1, validation_alias="LOGIN_RATE_PER_ADDRESS_PER_MINUTE"
    )
    register_rate_per_address: int = Field(
        default=60, ge=1, validation_alias="REGISTER_RATE_PER_ADDRESS_PER_MINUTE"
    )
    api_rate_per_user: int = Field(default=1200, ge=1, validation_alias="API_RATE_PER_MINUTE")
    password_reset_minutes: int = Field(
        default=30, ge=1, le=24 * 60, validation_alias="PASSWORD_RESET_MINUTES"
    )
    password_resets_per_account_hour: int = Field(
        default=3,
        ge=1,
        validation_alias="PASSWORD_RESETS_PER_ACCOUNT_PER_HOUR",
        description="Reset mails one account is sent per hour; further requests send nothing",
    )
    password_resets_per_address_hour: int = Field(
        default=10,
        ge=1,
        validation_alias="PASSWORD_RESETS_PER_ADDRESS_PER_HOUR",
        description="Reset requests one address may make per hour, whatever the email (429)",
    )
    email_verification_hours: int = Field(
        default=48, ge=1, le=30 * 24, validation_alias="EMAIL_VERIFICATION_HOURS"
    )
    email_verifications_per_account_hour: int = Field(
        default=5,
        ge=1,
        validation_alias="EMAIL_VERIFICATIONS_PER_ACCOUNT_PER_HOUR",
        description="Verification mails one account may ask for per hour (429 beyond)",
    )
    max_body_bytes: int = Field(
        default=10 * 1024 * 1024, ge=1024, validation_alias="MAX_BODY_BYTES"
    )

    # The operator API (docs/adr/0022-operator-pages.md): what `kasa` reaches, the gateway
    # reaches on an instance operator's behalf. Unset: /api/v1/operator answers 503.
    operator_amqp_url: str | None = Field(
        default=None,
        validation_alias="OPERATOR_AMQP_URL",
        description="The broker as the replay user (kasa-ops), for parked messages and queue "
        "depths; unset: the operator API is off",
    )
    integrations_ops_url: str | None = Field(default=None, validation_alias="INTEGRATIONS_OPS_URL")
    ledger_ops_url: str | None = Field(default=None, validation_alias="LEDGER_OPS_URL")
    invoicing_ops_url: str | None = Field(default=None, validation_alias="INVOICING_OPS_URL")
    audit_ops_url: str | None = Field(default=None, validation_alias="AUDIT_OPS_URL")
    gateway_ops_url: str | None = Field(
        default=None,
        validation_alias="GATEWAY_OPS_URL",
        description="The gateway's own ops listener as the operator API reaches it; "
        "default: OPS_HOST:OPS_PORT",
    )

    @property
    def https(self) -> bool:
        """Whether people reach Kasa over https (``PUBLIC_URL``): cookies then take the
        ``__Host-`` prefix, which needs ``Secure``."""
        return self.public_url.lower().startswith("https://")

    @property
    def secure_cookies(self) -> bool:
        return self.cookie_secure or self.https

    def upstream_urls(self) -> dict[str, str]:
        """Where each service behind the gateway listens."""
        return {
            "integrations": self.integrations_url,
            "ledger": self.ledger_url,
            "invoicing": self.invoicing_url,
            "audit": self.audit_url,
            "web": self.web_url,
        }

    def ops_urls(self) -> dict[str, str | None]:
        """Each service's ops listener, as the operator API reaches it (None: not set)."""
        own = "127.0.0.1" if self.ops_host in ("0.0.0.0", "::", "") else self.ops_host
        return {
            "gateway": self.gateway_ops_url or f"http://{own}:{self.ops_listener_port}",
            "integrations": self.integrations_ops_url,
            "ledger": self.ledger_ops_url,
            "invoicing": self.invoicing_ops_url,
            "audit": self.audit_ops_url,
        }

    def operator_settings_missing(self) -> list[str]:
        """The variables the operator API still needs; empty when it can work."""
        missing = [] if self.operator_amqp_url else ["OPERATOR_AMQP_URL"]
        return missing + [
            f"{service.upper()}_OPS_URL" for service, url in self.ops_urls().items() if not url
        ]

    def operator_targets(self) -> OpsTargets:
        """Where the operator API reaches the system, with this gateway's own ``OPS_TOKEN``
        (every ops listener of an instance wants the same one)."""
        urls = {service: url for service, url in self.ops_urls().items() if url}
        assert self.operator_amqp_url and set(urls) == set(SERVICES), "check the settings first"
        return OpsTargets(self.operator_amqp_url, urls, self.ops_token)

    @field_validator("previous_key_files", mode="before")
    @classmethod
    def _split_paths(cls, value: object) -> object:
        if isinstance(value, str):
            return [Path(p.strip()) for p in value.split(",") if p.strip()]
        return value

    @field_validator("trusted_proxies", mode="before")
    @classmethod
    def _split_networks(cls, value: object) -> object:
        if isinstance(value, str):
            return [p.strip() for p in value.split(",") if p.strip()]
        return value

    @field_validator("trusted_proxies")
    @classmethod
    def _networks_parse(cls, value: list[str]) -> list[str]:
        parse_networks(value)  # refuse a typo at start, not silently trust nobody
        return value

    @model_validator(mode="after")
    def _operator_publishes_as_the_replay_user(self) -> "GatewaySettings":
        # Consumers accept a requeued message on kasa.replay only from the replay user: any
        # other user would park every requeue again, as an untrusted sender.
        if self.operator_amqp_url and self.event_sender_check:
            user = unquote(urlsplit(self.operator_amqp_url).username or "")
            if user != self.event_replay_user:
                raise ValueError(
                    f"OPERATOR_AMQP_URL must connect as the replay user {self.event_replay_user}"
                    f", not {user or 'no user'}"
                )
        return self

    @model_validator(mode="after")
    def _signing_key_must_exist_in_production(self) -> "GatewaySettings":
        # Outside development a missing key would silently mint a new one and log everybody
        # out; refuse to start instead.
        if self.env == "production" and not self.signing_key_file.exists():
            raise ValueError(f"JWT_SIGNING_KEY_FILE {self.signing_key_file} does not exist")
        return self
