"""The demo bank: the same index always makes the same valid transaction."""

from decimal import Decimal

import pytest

from kasa_integrations.plugins import registry
from kasa_integrations.plugins.demo import MAX_COUNT, DemoBank, demo_transaction
from kasa_integrations.plugins.testing import run_plugin


def test_the_demo_bank_is_deterministic_and_valid():
    assert demo_transaction(7) == demo_transaction(7)
    assert demo_transaction(5).direction == "income"
    assert demo_transaction(5).variable_symbol == "20260002", "the first incomes pay invoices"
    assert demo_transaction(5).amount == Decimal("36300.00")
    assert demo_transaction(50).variable_symbol == "2026000050"
    assert demo_transaction(3).amount > 0


async def test_a_run_makes_no_more_than_the_cap_and_says_so():
    run = await run_plugin(DemoBank(max_count=4), params={"count": 1_000_000})
    assert len(run.transactions) == 4
    assert run.metadata["count_capped"] == {"requested": 1_000_000, "made": 4}
    assert run.progress[0] == (4, None)
    within = await run_plugin(DemoBank(max_count=4), params={"count": 3})
    assert len(within.transactions) == 3 and "count_capped" not in within.metadata


def test_the_cap_cannot_be_raised_above_the_demo_banks_maximum():
    assert DemoBank().max_count == MAX_COUNT == 100_000
    with pytest.raises(ValueError):
        DemoBank(max_count=MAX_COUNT + 1)


def test_the_registry_leaves_the_demo_bank_out_when_asked():
    assert "demo" in registry()
    assert set(registry(demo=False)) == {"fio", "camt053"}
    assert registry(demo_max_count=9)["demo"].max_count == 9  # type: ignore[attr-defined]


async def test_an_offset_brings_the_next_transactions_and_the_same_offset_the_same_ones():
    first = await run_plugin(DemoBank(), params={"count": 3})
    later = await run_plugin(DemoBank(), params={"count": 3, "offset": 3})
    again = await run_plugin(DemoBank(), params={"count": 3, "offset": 3})
    ids = [t.external_id for t in first.transactions + later.transactions]
    assert ids == [f"demo-{i:07d}" for i in range(6)]
    assert again.transactions == later.transactions
    assert later.state["last_count"] == 6
