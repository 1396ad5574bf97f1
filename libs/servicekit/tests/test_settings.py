import pytest
from pydantic import ValidationError

from kasa_servicekit.settings import ServiceSettings


def test_missing_database_url_fails_fast(monkeypatch):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    with pytest.raises(ValidationError, match="DATABASE_URL"):
        ServiceSettings()


def test_production_refuses_the_default_broker_account(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgresql+asyncpg://kasa:s3cret@db/kasa")
    monkeypatch.setenv("KASA_ENV", "production")
    monkeypatch.setenv("OPS_TOKEN", "o" * 32)
    monkeypatch.setenv("AMQP_URL", "amqp://guest:other@broker:5672/")
    with pytest.raises(ValidationError, match="guest"):
        ServiceSettings()
    monkeypatch.setenv("AMQP_URL", "amqp://kasa:s3cret@broker:5672/")
    assert ServiceSettings().env == "production"


def test_invalid_values_are_refused(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "sqlite+aiosqlite:///x.db")
    monkeypatch.setenv("PORT", "99999")
    with pytest.raises(ValidationError, match="PORT"):
        ServiceSettings()
