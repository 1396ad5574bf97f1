"""The contract-test kit: one set of checks every plugin must pass.

Use it from a test of your plugin::

    async def test_my_bank_keeps_the_plugin_contract():
        await check_plugin(MyBank(), settings={...}, credentials={"token": "..."})

``check_plugin`` checks the declarations (name, version, models, rate limits), runs ``sync``
twice against what you point it at, and checks what comes out: valid transactions that make
valid events, unique and stable ``external_id``s, a JSON-safe cursor and metadata, and no
credential value anywhere in them. It returns the transactions of the first run.
"""

import json
import logging
import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any
from uuid import uuid4

import httpx
from pydantic import BaseModel

from kasa_contracts.events.integrations import TransactionImported
from kasa_integrations.plugins.base import (
    BankTransaction,
    Plugin,
    RateLimit,
    SyncContext,
    SyncWindow,
)

NAME = re.compile(r"^[a-z][a-z0-9_]{1,63}$")
VERSION = re.compile(r"^\d+\.\d+\.\d+$")


@dataclass
class PluginRun:
    transactions: list[BankTransaction]
    state: dict[str, Any]
    metadata: dict[str, Any]
    progress: list[tuple[int | None, str | None]] = field(default_factory=list)


async def run_plugin(
    plugin: Plugin,
    *,
    settings: dict[str, Any] | None = None,
    credentials: dict[str, Any] | None = None,
    state: dict[str, Any] | None = None,
    params: dict[str, Any] | None = None,
    upload: bytes | None = None,
    window: SyncWindow | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
) -> PluginRun:
    """Run ``plugin.sync`` once outside the platform and collect what it produced."""
    progress: list[tuple[int | None, str | None]] = []
    async with httpx.AsyncClient(timeout=10, transport=transport) as http:
        ctx = SyncContext(
            settings=plugin.Settings.model_validate(settings or {}),
            credentials=plugin.Credentials.model_validate(credentials or {}),
            window=window or SyncWindow(start=None, end=date.today()),
            http=http,
            log=logging.LoggerAdapter(logging.getLogger(f"kasa.plugin-kit.{plugin.name}")),
            state=dict(state or {}),
            params=dict(params or {}),
            upload=upload,
            _progress=lambda total, message: progress.append((total, message)),
        )
        transactions = [tx async for tx in plugin.sync(ctx)]
    return PluginRun(transactions, ctx.state, ctx.metadata, progress)


def check_declarations(plugin: Plugin) -> None:
    """The static half of the contract."""
    assert NAME.match(plugin.name), f"plugin name {plugin.name!r} must be lowercase snake_case"
    assert VERSION.match(plugin.version), f"version {plugin.version!r} must be MAJOR.MINOR.PATCH"
    assert plugin.display_name.strip(), "a plugin needs a display_name"
    assert plugin.description.strip(), "a plugin needs a description"
    for model in (plugin.Settings, plugin.Credentials):
        assert issubclass(model, BaseModel)
        assert model.model_config.get("extra") == "forbid", (
            f"{model.__name__} must forbid unknown fields, so a typo is a 422 and not ignored"
        )
        json.dumps(model.model_json_schema())
    for name, info in plugin.Credentials.model_fields.items():
        assert info.is_required() or info.default is None, (
            f"credential {name!r} must not have a default value: it would be a shared secret"
        )
    for limit in plugin.rate_limits:
        assert isinstance(limit, RateLimit)
        assert limit.requests > 0 and limit.per_seconds > 0


def _contains(data: Any, secret: str) -> bool:
    return secret in json.dumps(data, default=str)


async def check_plugin(
    plugin: Plugin,
    *,
    settings: dict[str, Any] | None = None,
    credentials: dict[str, Any] | None = None,
    params: dict[str, Any] | None = None,
    upload: bytes | None = None,
    window: SyncWindow | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
    expect_transactions: bool = True,
) -> list[BankTransaction]:
    """Run the shared contract checks against ``plugin``; returns the first run's transactions."""
    check_declarations(plugin)
    options: dict[str, Any] = {
        "settings": settings,
        "credentials": credentials,
        "params": params,
        "upload": upload,
        "window": window,
        "transport": transport,
    }
    first = await run_plugin(plugin, **options)
    if expect_transactions:
        assert first.transactions, "the run yielded no transactions"
    ids = [tx.external_id for tx in first.transactions]
    assert len(ids) == len(set(ids)), "external_id must be unique within a run"
    secrets = [str(v) for v in (credentials or {}).values() if v is not None and len(str(v)) >= 4]
    for tx in first.transactions:
        assert isinstance(tx, BankTransaction)
        event = TransactionImported(
            plugin=plugin.name, plugin_version=plugin.version, sync_id=uuid4(), **tx.model_dump()
        )
        body = event.model_dump_json()
        for secret in secrets:
            assert secret not in body, "a credential value leaked into a transaction"
    for secret in secrets:
        assert not _contains(first.state, secret), "a credential value leaked into the cursor"
        assert not _contains(first.metadata, secret), "a credential value leaked into metadata"
    json.dumps(first.state)
    json.dumps(first.metadata)
    again = await run_plugin(plugin, **options, state=None)
    assert [t.external_id for t in again.transactions] == ids, (
        "the same window must give the same external_ids (dedupe relies on it)"
    )
    assert again.transactions == first.transactions, "the same data must give the same result"
    return first.transactions
