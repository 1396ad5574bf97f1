"""Bank events booked in batches: the same effects as one by one, all or nothing per batch."""

from uuid import uuid4

import pytest
from opentelemetry.context import Context
from sqlalchemy import func, select

from kasa_ledger.db.tables import Account, Transaction
from kasa_servicekit.consumers import apply_each, handle_event

from .conftest import bank_movement, envelope, invoice


@pytest.fixture(params=["one by one", "set-based"])
def handle_batch(request):
    """A batch applied event by event in one transaction, or by the queue's batch handler."""

    async def handle(ledger, envelopes):
        subscription, events = ledger.bank_queue, [(e, Context()) for e in envelopes]
        async with ledger.db.transaction() as session:
            if request.param == "one by one":
                return await apply_each(session, subscription, events, ledger.events)
            return await subscription.batch_handler(session, subscription, events, ledger.events)

    return handle


async def count(ledger, table):
    async with ledger.db.sessions() as session:
        return await session.scalar(select(func.count()).select_from(table))


async def test_a_batch_books_each_event_once_and_matches_within_it(ledger, handle_batch):
    issued = invoice(variable_symbol="42")
    await ledger.deliver(issued)
    first = envelope(bank_movement(external_id="a", variable_symbol="42"), ledger.workspace_id)
    batch = [
        first,
        first,  # the same delivery twice in one batch
        envelope(bank_movement(external_id="b"), ledger.workspace_id),
        envelope(bank_movement(external_id="b"), ledger.workspace_id),  # same movement, new id
    ]
    applied = await handle_batch(ledger, batch)
    assert applied == {batch[0].event_id, batch[2].event_id, batch[3].event_id}
    assert await count(ledger, Transaction) == 2
    assert (await ledger.transaction("a"))["invoice_id"] == str(issued.invoice_id)
    again = await handle_batch(ledger, batch)
    assert again == set(), "a redelivered batch changes nothing"


async def test_a_failing_event_rolls_the_whole_batch_back_and_leaves_no_stale_account(
    ledger, handle_batch
):
    other_workspace = uuid4()
    good = envelope(bank_movement(external_id="a"), other_workspace)
    poison = envelope(invoice(), other_workspace)  # the bank queue has no handler for it
    with pytest.raises(LookupError):
        await handle_batch(ledger, [good, poison])
    assert await count(ledger, Transaction) == 0
    assert await count(ledger, Account) == 0
    # One by one, as the consumer falls back to: the good event books, with a real account.
    assert await handle_event(ledger.db, ledger.bank_queue, good, ledger.events)
    assert await count(ledger, Transaction) == 1
    assert await handle_event(
        ledger.db,
        ledger.bank_queue,
        envelope(bank_movement(external_id="b"), other_workspace),
        ledger.events,
    )
    assert await count(ledger, Account) == 1
