"""The plugin contract bounds bank text: cut with a marker, the full text kept in raw."""

import pytest
from pydantic import ValidationError

from kasa_contracts.events.integrations import BankAccountRef, TransactionImported
from kasa_integrations.domain.bank_transaction import (
    TEXT_LIMITS,
    TRUNCATED_MARKER,
    UNTRUNCATED,
    BankTransaction,
    bounded,
)
from kasa_integrations.domain.dedupe import content_of
from kasa_integrations.plugins.base import Plugin, SyncContext
from kasa_integrations.plugins.testing import run_plugin

ACCOUNT = BankAccountRef(provider_account_id="main", currency="CZK")


def transaction(**fields) -> BankTransaction:
    return BankTransaction(
        account=fields.pop("account", ACCOUNT),
        external_id="t-1",
        booking_date="2026-01-01",
        amount="10.00",
        direction="income",
        currency="CZK",
        **fields,
    )


def test_bounded_cuts_with_the_marker_and_keeps_short_text():
    assert bounded("short", 10) == "short"
    assert bounded("x" * 11, 10) == "x" * 9 + TRUNCATED_MARKER
    assert len(bounded("x" * 5000, 200)) == 200


@pytest.mark.parametrize("field", sorted(TEXT_LIMITS))
def test_each_text_field_is_cut_to_its_limit(field):
    full = "Ž" * 5000
    tx = transaction(**{field: full}, raw={"provider": "record"})
    value = getattr(tx, field)
    assert len(value) == TEXT_LIMITS[field] and value.endswith(TRUNCATED_MARKER)
    assert tx.raw == {"provider": "record", UNTRUNCATED: {field: full}}
    assert UNTRUNCATED not in content_of(tx), "dedupe compares the bounded text"


def test_text_within_its_limit_is_untouched():
    tx = transaction(counterparty_name="Acme", message="m" * TEXT_LIMITS["message"])
    assert tx.counterparty_name == "Acme" and UNTRUNCATED not in tx.raw
    assert tx.message == "m" * TEXT_LIMITS["message"]


def test_over_long_account_identifiers_are_refused_not_cut():
    with pytest.raises(ValidationError, match="iban"):
        transaction(account=BankAccountRef(provider_account_id="a", iban="C" * 35, currency="CZK"))
    with pytest.raises(ValidationError, match="provider_account_id"):
        transaction(account=BankAccountRef(provider_account_id="a" * 91, currency="CZK"))


class ChattyBank(Plugin):
    name = "chatty_bank"
    version = "1.0.0"
    display_name = "Chatty bank"
    description = "Names its counterparties at length."

    async def sync(self, ctx: SyncContext):
        yield transaction(counterparty_name="C" * 5000)


async def test_a_plugin_yielding_a_long_counterparty_makes_a_bounded_event():
    [tx] = (await run_plugin(ChattyBank())).transactions
    event = TransactionImported(
        plugin="chatty_bank",
        plugin_version="1.0.0",
        sync_id="0190a0a0-0000-7000-8000-000000000000",
        **tx.model_dump(),
    )
    assert len(event.counterparty_name or "") == 200
    assert event.raw[UNTRUNCATED]["counterparty_name"] == "C" * 5000
