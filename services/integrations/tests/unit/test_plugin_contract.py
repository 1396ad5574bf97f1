"""Every shipped plugin passes the shared contract kit; the kit catches broken plugins."""

from collections.abc import AsyncIterator

import pytest
from pydantic import BaseModel, ConfigDict

from kasa_integrations.plugins import registry
from kasa_integrations.plugins.base import BankTransaction, Plugin, SyncContext
from kasa_integrations.plugins.demo import DemoBank, demo_transaction
from kasa_integrations.plugins.testing import check_declarations, check_plugin


@pytest.mark.parametrize("name", sorted(registry()))
def test_every_registered_plugin_declares_the_contract(name):
    check_declarations(registry()[name])


async def test_the_demo_bank_keeps_the_plugin_contract():
    transactions = await check_plugin(DemoBank(), params={"count": 120})
    assert len(transactions) == 120
    invoice_payments = [t for t in transactions if t.raw.get("invoice")]
    assert [t.variable_symbol for t in invoice_payments] == ["20260001", "20260002", "20260003"]


async def test_the_demo_bank_runs_without_configuration_and_with_settings():
    assert not DemoBank.needs_configuration()
    configured = await check_plugin(
        DemoBank(),
        settings={
            "count": 10,
            "invoice_payments": [{"variable_symbol": "7001", "amount": "100.00"}],
        },
    )
    assert configured[0].variable_symbol == "7001" and len(configured) == 10


class Token(BaseModel):
    model_config = ConfigDict(extra="forbid")
    token: str


class Duplicating(Plugin):
    name = "duplicating"
    version = "1.0.0"
    display_name = "Duplicating"
    description = "yields one id twice"

    async def sync(self, ctx: SyncContext) -> AsyncIterator[BankTransaction]:
        yield demo_transaction(1)
        yield demo_transaction(1)


class Leaking(Plugin):
    name = "leaking"
    version = "1.0.0"
    display_name = "Leaking"
    description = "puts its token in the raw record"
    Credentials = Token

    async def sync(self, ctx: SyncContext) -> AsyncIterator[BankTransaction]:
        yield demo_transaction(1).model_copy(update={"raw": {"url": ctx.credentials.token}})


class Sloppy(Plugin):
    name = "Sloppy Bank"
    version = "1"
    display_name = "Sloppy"
    description = "bad declarations"

    async def sync(self, ctx: SyncContext) -> AsyncIterator[BankTransaction]:
        yield demo_transaction(1)


@pytest.mark.parametrize(
    ("plugin", "complaint"),
    [
        (Duplicating(), "unique"),
        (Leaking(), "credential value leaked"),
        (Sloppy(), "snake_case"),
    ],
)
async def test_the_kit_catches_a_broken_plugin(plugin, complaint):
    with pytest.raises(AssertionError, match=complaint):
        await check_plugin(
            plugin,
            credentials={"token": "secret-token-value"} if plugin.name == "leaking" else None,
        )
