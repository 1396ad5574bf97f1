"""Web application configuration, validated before anything starts."""

from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

PACKAGE = Path(__file__).resolve().parent
# The project's install step puts the pinned front-end packages here (services/web/node_modules).
DEFAULT_VENDOR_DIR = PACKAGE.parents[1] / "node_modules"


class WebSettings(BaseSettings):
    """The web owns no data: it needs the gateway it calls and the keys that sign its tokens."""

    model_config = SettingsConfigDict(extra="ignore", case_sensitive=False)

    env: Literal["development", "test", "production"] = Field(
        default="development", validation_alias="KASA_ENV"
    )
    host: str = Field(default="127.0.0.1", validation_alias="HOST")
    port: int = Field(default=8105, ge=1, le=65535, validation_alias="PORT")
    gateway_url: str = Field(
        default="http://127.0.0.1:8000",
        validation_alias="GATEWAY_URL",
        description="Where the web calls the public API on the user's behalf",
    )
    jwks_url: str = Field(
        default="http://127.0.0.1:8000/.well-known/jwks.json", validation_alias="JWKS_URL"
    )
    jwt_issuer: str = Field(default="kasa-gateway", validation_alias="JWT_ISSUER")
    jwt_audience: str = Field(default="kasa", validation_alias="JWT_AUDIENCE")
    api_timeout_s: float = Field(default=20.0, gt=0, validation_alias="API_TIMEOUT_SECONDS")
    vendor_dir: Path = Field(default=DEFAULT_VENDOR_DIR, validation_alias="WEB_VENDOR_DIR")
    log_level: str = Field(default="INFO", validation_alias="LOG_LEVEL")
    log_format: Literal["json", "text"] = Field(default="json", validation_alias="LOG_FORMAT")
    otel_exporter: Literal["none", "console", "otlp"] = Field(
        default="none", validation_alias="OTEL_TRACES_EXPORTER"
    )
