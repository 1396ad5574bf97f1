"""A plugin's configuration form is drawn from its JSON Schemas and read back into JSON."""

from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from kasa_web.plugin_forms import INVALID_JSON, PluginForm, relocate, without_secrets


class Region(StrEnum):
    eu = "eu"
    us = "us"


class Payment(BaseModel):
    model_config = ConfigDict(extra="forbid")

    variable_symbol: str = Field(pattern=r"^\d{1,10}$")
    amount: str
    currency: str = "CZK"


class Window(BaseModel):
    days: int = 30


class Settings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    label: str = Field(default="Main", title="Account label", description="Shown in the ledger")
    count: int = Field(default=50, ge=1, le=1000, description="Transactions per sync")
    ratio: float = 0.5
    exact: Decimal | None = None
    active: bool = True
    region: Region = Region.eu
    mode: Literal["fast", "slow"] = "fast"
    since: date | None = None
    tags: list[str] = Field(default_factory=list)
    payments: list[Payment] = Field(default_factory=list)
    window: Window = Field(default_factory=Window)
    extra: dict[str, int] = Field(default_factory=dict)


class Credentials(BaseModel):
    model_config = ConfigDict(extra="forbid")

    token: str = Field(min_length=8, description="The API token")
    pin: str | None = None


def plugin(settings: type[BaseModel] = Settings, credentials: type[BaseModel] = Credentials):
    return {
        "name": "some",
        "settings_schema": settings.model_json_schema(),
        "credentials_schema": credentials.model_json_schema(),
    }


def by_name(form: PluginForm):
    return {f.name: f for f in form.settings + form.credentials}


def test_each_schema_type_becomes_a_field_of_its_kind() -> None:
    fields = by_name(PluginForm.of(plugin()))
    kinds = {name: f.kind for name, f in fields.items()}
    assert kinds == {
        "settings.label": "text",
        "settings.count": "integer",
        "settings.ratio": "number",
        "settings.exact": "decimal",
        "settings.active": "boolean",
        "settings.region": "select",
        "settings.mode": "select",
        "settings.since": "date",
        "settings.tags": "lines",
        "settings.payments": "rows",
        "settings.window": "group",
        "settings.extra": "json",
        "credentials.token": "secret",
        "credentials.pin": "secret",
    }
    assert fields["settings.label"].label == "Account label"
    assert fields["settings.label"].help == "Shown in the ledger"
    assert fields["settings.count"].attrs == {"min": 1, "max": 1000, "step": 1}
    assert fields["settings.count"].default == 50
    assert fields["settings.region"].options == (("eu", "eu"), ("us", "us"))
    assert fields["settings.mode"].options == (("fast", "fast"), ("slow", "slow"))
    assert fields["credentials.token"].required
    assert not fields["credentials.pin"].required
    assert not fields["settings.count"].required
    columns = [(c.key, c.kind, c.required) for c in fields["settings.payments"].columns]
    assert columns == [
        ("variable_symbol", "text", True),
        ("amount", "text", True),
        ("currency", "text", False),
    ]
    assert [c.name for c in fields["settings.window"].columns] == ["settings.window.days"]


def test_the_form_shows_stored_settings_or_the_defaults_and_never_a_secret() -> None:
    form = PluginForm.of(plugin())
    fresh = form.values({})
    assert fresh["settings.count"] == "50"
    assert fresh["settings.active"] == "on"
    assert fresh["settings.region"] == "eu"
    assert fresh["settings.window.days"] == "30"
    stored = form.values(
        {
            "count": 7,
            "active": False,
            "since": "2026-01-02",
            "tags": ["a", "b"],
            "payments": [{"variable_symbol": "123", "amount": "10.00", "currency": "EUR"}],
            "extra": {"x": 1},
        }
    )
    assert stored["settings.count"] == "7"
    assert stored["settings.active"] == ""
    assert stored["settings.since"] == "2026-01-02"
    assert stored["settings.tags"] == "a\nb"
    assert stored["settings.payments.0.variable_symbol"] == "123"
    assert stored["settings.payments.0.currency"] == "EUR"
    assert stored["settings.extra"] == '{\n  "x": 1\n}'
    assert not [name for name in stored if name.startswith("credentials")]
    assert form.rows(form.settings[9], stored) == [0, 1]
    assert form.rows(form.settings[9], fresh) == [0]


def test_a_submitted_form_becomes_the_config_json() -> None:
    form = PluginForm.of(plugin())
    sent = form.read(
        {
            "enabled": "on",
            "settings.label": "  Business  ",
            "settings.count": "12",
            "settings.ratio": "0.25",
            "settings.exact": "10.10",
            # settings.active unchecked: absent from the form
            "settings.region": "us",
            "settings.since": "",
            "settings.tags": "x\n\n y \n",
            "settings.payments.0.variable_symbol": "20260001",
            "settings.payments.0.amount": "12100.00",
            "settings.payments.0.currency": "",
            "settings.payments.1.variable_symbol": "",
            "settings.payments.1.amount": "",
            "settings.window.days": "5",
            "settings.extra": '{"a": 2}',
            "credentials.token": "s3cret-token-value",
            "credentials.pin": "",
        }
    )
    assert sent.errors == {}
    assert sent.body() == {
        "enabled": True,
        "settings": {
            "label": "Business",
            "count": 12,
            "ratio": 0.25,
            "exact": "10.10",
            "active": False,
            "region": "us",
            "tags": ["x", "y"],
            "payments": [{"variable_symbol": "20260001", "amount": "12100.00"}],
            "window": {"days": 5},
            "extra": {"a": 2},
        },
        "credentials": {"token": "s3cret-token-value"},
    }


def test_empty_secrets_keep_the_stored_ones_and_clearing_is_explicit() -> None:
    form = PluginForm.of(plugin())
    kept = form.read({"credentials.token": "", "credentials.pin": ""})
    assert kept.credentials is None
    assert "credentials" not in kept.body()
    assert kept.enabled is False
    cleared = form.read({"credentials.pin.__clear": "on", "credentials.token.__clear": "on"})
    assert cleared.credentials == {"pin": None}


def test_text_the_api_must_judge_is_sent_as_typed_and_bad_json_is_caught_here() -> None:
    form = PluginForm.of(plugin())
    sent = form.read({"settings.count": "many", "settings.ratio": "x", "settings.extra": "{"})
    assert sent.settings["count"] == "many"
    assert sent.settings["ratio"] == "x"
    assert sent.errors == {"settings.extra": INVALID_JSON}


def test_removed_and_empty_rows_leave_the_list_and_errors_find_their_row_again() -> None:
    form = PluginForm.of(plugin())
    sent = form.read(
        {
            "settings.payments.0.variable_symbol": "1",
            "settings.payments.0.amount": "1.00",
            "settings.payments.0.__remove": "on",
            "settings.payments.1.variable_symbol": "",
            "settings.payments.1.amount": "",
            "settings.payments.2.variable_symbol": "abc",
            "settings.payments.2.amount": "2.00",
        }
    )
    assert sent.settings["payments"] == [{"variable_symbol": "abc", "amount": "2.00"}]
    errors = relocate(
        [
            {"loc": ["body", "settings", "payments", 0, "variable_symbol"], "type": "x"},
            {"loc": ["body", "settings", "count"], "type": "y"},
        ],
        sent.moved,
    )
    assert [e["loc"] for e in errors] == [
        ["body", "settings.payments.2.variable_symbol"],
        ["body", "settings.count"],
    ]


def test_no_rows_means_the_plugin_default_applies() -> None:
    form = PluginForm.of(plugin())
    assert "payments" not in form.read({"settings.payments.0.amount": " "}).settings


def test_typed_secrets_are_never_shown_again() -> None:
    form = PluginForm.of(plugin())
    typed = {"settings.count": "3", "credentials.token": "abc", "credentials.pin.__clear": "on"}
    assert without_secrets(typed, form) == {"settings.count": "3"}


def test_a_write_only_setting_is_a_secret_too() -> None:
    class Odd(BaseModel):
        key: str = Field(json_schema_extra={"format": "password", "writeOnly": True})

    class Nothing(BaseModel):
        pass

    form = PluginForm.of(plugin(Odd, Nothing))
    assert form.settings[0].kind == "secret"
    assert form.values({"key": "visible?"}) == {}
    assert form.credentials == ()
    assert not form.empty
    assert PluginForm.of(plugin(Nothing, Nothing)).empty
