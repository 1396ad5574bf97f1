"""integrations.transaction.updated.v1: the bank restates a movement it reported before."""

from kasa_contracts.events.integrations import TransactionUpdated as BankUpdated
from kasa_contracts.events.ledger import TransactionCorrected, TransactionUpdated
from kasa_servicekit.testing import outbox_events

from .conftest import bank_movement, invoice


def restated(original, **changes):
    return BankUpdated(**(original.model_dump() | changes))


async def test_descriptions_follow_the_bank_and_money_changes_by_adjustment(ledger):
    original = bank_movement(external_id="a", amount="1000.00", message="Platba")
    await ledger.deliver(original)
    await ledger.deliver(restated(original, message="Platba za fakturu", amount="1100.00"))
    tx = await ledger.transaction("a")
    assert (tx["description"], tx["amount"], tx["effective_amount"]) == (
        "Platba za fakturu",
        "1000.00",
        "1100.00",
    )
    [updated] = await outbox_events(ledger.db, TransactionUpdated.routing_key())
    assert updated.payload.changes["description"].before == "Platba"
    [corrected] = await outbox_events(ledger.db, TransactionCorrected.routing_key())
    assert (corrected.payload.type, corrected.payload.amount) == ("income", 100)
    assert corrected.actor.id == "fio"

    await ledger.deliver(restated(original, message="Platba za fakturu", amount="1100.00"))
    assert len(await outbox_events(ledger.db, TransactionCorrected.routing_key())) == 1, (
        "the same restatement twice changes nothing"
    )


async def test_a_restated_symbol_matches_the_invoice(ledger):
    issued = invoice(variable_symbol="555")
    await ledger.deliver(issued)
    original = bank_movement(external_id="a")
    await ledger.deliver(original)
    assert (await ledger.transaction("a"))["invoice_id"] is None
    await ledger.deliver(restated(original, variable_symbol="555"))
    assert (await ledger.transaction("a"))["invoice_id"] == str(issued.invoice_id)


async def test_an_update_that_overtakes_its_import_books_the_movement(ledger):
    original = bank_movement(external_id="a", amount="10.00")
    await ledger.deliver(restated(original, amount="12.00"))
    await ledger.deliver(original)
    tx = await ledger.transaction("a")
    assert (tx["amount"], tx["effective_amount"]) == ("12.00", "12.00")
