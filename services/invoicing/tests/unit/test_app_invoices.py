"""The invoice use cases on rows in memory: drafting, issuing, cancelling, deleting, lines."""

import uuid
from datetime import date
from decimal import Decimal

import pytest

from kasa_contracts.events.invoicing import (
    InvoiceCancelled,
    InvoiceDraftDeleted,
    InvoiceDrafted,
    InvoiceDraftUpdated,
    InvoiceIssued,
)
from kasa_invoicing.app import invoices
from kasa_invoicing.app.invoices import Draft, ExtraItem, LineChange
from kasa_invoicing.db.tables import Invoice, InvoiceLine
from kasa_invoicing.domain.errors import Conflict, Invalid, NotFound
from kasa_invoicing.domain.lifecycle import TransitionRefused


@pytest.fixture
def work(rows):
    """A supplier, a client at 1000 CZK an hour, a project and two unbilled hours."""
    rows.supplier_profile()
    client = rows.client()
    project = rows.project(client)
    first = rows.entry(project, "2026-03-02", minutes=60)
    second = rows.entry(project, "2026-03-03", minutes=60)
    return client, project, first, second


async def drafted(rows, events, member, client, *entries, **fields):
    request = Draft(client_id=client.id, work_entry_ids=[e.id for e in entries], **fields)
    return await invoices.draft(rows, events, member, request)


async def test_a_draft_takes_the_work_and_has_no_number(rows, events, member, work):
    client, _, first, second = work
    invoice = await drafted(rows, events, member, client, first, second, vat_rate=Decimal(21))

    assert (invoice.status, invoice.number, invoice.total) == ("draft", None, Decimal("2420.00"))
    assert first.invoice_id == second.invoice_id == invoice.id
    assert [x.position for x in await rows.lines(invoice)] == [1, 2]
    assert invoice.payment_terms_days == 14, "the supplier's terms when nobody else has any"
    [event] = events.payloads(InvoiceDrafted)
    assert set(event.work_entry_ids) == {first.id, second.id} and event.total == invoice.total


async def test_a_draft_refuses_work_it_cannot_bill(rows, events, member, work):
    client, project, first, _ = work
    other = rows.client(name="Other")
    running = rows.entry(project, started_at=first.created_at)
    unbillable = rows.entry(project, minutes=30, billable=False)

    cases = [
        (Invalid, "belongs to another client", Draft(other.id, work_entry_ids=[first.id])),
        (Invalid, "running timer", Draft(client.id, work_entry_ids=[running.id])),
        (Invalid, "not billable", Draft(client.id, work_entry_ids=[unbillable.id])),
        (Invalid, "do not exist", Draft(client.id, work_entry_ids=[uuid.uuid4()])),
        (Invalid, "at least one line", Draft(client.id, work_entry_ids=[])),
        (NotFound, "client does not exist", Draft(uuid.uuid4(), work_entry_ids=[first.id])),
    ]
    for error, message, request in cases:
        with pytest.raises(error, match=message):
            await invoices.draft(rows, events, member, request)
    assert rows.all(Invoice) == [] and first.invoice_id is None
    assert events.written == []


async def test_work_already_on_an_invoice_is_a_conflict(rows, events, member, work):
    client, _, first, _ = work
    await drafted(rows, events, member, client, first)
    with pytest.raises(Conflict, match="already on an invoice"):
        await drafted(rows, events, member, client, first)


async def test_a_project_period_draft_needs_unbilled_work(rows, events, member, work):
    client, project, _, _ = work
    request = Draft(client.id, project_id=project.id, date_from=date(2026, 3, 3))
    invoice = await invoices.draft(rows, events, member, request)
    assert invoice.total == Decimal("1000.00"), "only the work inside the period"
    with pytest.raises(Invalid, match="no unbilled work"):
        await invoices.draft(rows, events, member, request)


async def test_extra_lines_alone_make_a_draft(rows, events, member, work):
    client, *_ = work
    item = ExtraItem("Licence", Decimal(2), Decimal("99.995"), vat_rate=Decimal(0))
    invoice = await invoices.draft(rows, events, member, Draft(client.id, extra_lines=[item]))
    assert invoice.total == Decimal("199.99")


async def test_issuing_numbers_the_draft_and_snapshots_the_supplier(rows, events, member, work):
    client, _, first, second = work
    a = await drafted(rows, events, member, client, first)
    b = await drafted(rows, events, member, client, second)

    issued = await invoices.issue(rows, events, member, a.id, date(2026, 3, 31))
    later = await invoices.issue(rows, events, member, b.id, date(2026, 4, 1))

    assert (issued.status, issued.number, issued.variable_symbol) == (
        "issued",
        "2026-0001",
        "20260001",
    )
    assert later.number == "2026-0002"
    assert issued.due_date == date(2026, 4, 14)
    assert issued.supplier["iban"] == "CZ6508000000192000145399"
    assert [e.number for e in events.payloads(InvoiceIssued)] == ["2026-0001", "2026-0002"]


async def test_only_a_draft_is_issued_and_only_with_a_supplier(rows, events, member, work):
    client, _, first, second = work
    invoice = await drafted(rows, events, member, client, first)
    await invoices.issue(rows, events, member, invoice.id, date(2026, 3, 31))
    with pytest.raises(TransitionRefused, match="the invoice is issued; only a draft"):
        await invoices.issue(rows, events, member, invoice.id)

    del rows.rows[type(await rows.supplier())][rows.workspace_id]
    other = await drafted(rows, events, member, client, second)
    with pytest.raises(Conflict, match="set up the supplier profile"):
        await invoices.issue(rows, events, member, other.id)
    assert other.number is None and len(events.payloads(InvoiceIssued)) == 1


async def test_cancelling_keeps_the_number_and_frees_the_work(rows, events, member, work):
    client, _, first, _ = work
    invoice = await drafted(rows, events, member, client, first)
    with pytest.raises(TransitionRefused, match="delete it instead"):
        await invoices.cancel(rows, events, member, invoice.id)
    await invoices.issue(rows, events, member, invoice.id, date(2026, 3, 31))

    cancelled = await invoices.cancel(rows, events, member, invoice.id)

    assert (cancelled.status, cancelled.number) == ("cancelled", "2026-0001")
    assert first.invoice_id is None
    [event] = events.payloads(InvoiceCancelled)
    assert event.number == "2026-0001"
    with pytest.raises(TransitionRefused, match="cancelled and cannot be cancelled"):
        await invoices.cancel(rows, events, member, invoice.id)
    with pytest.raises(TransitionRefused, match="only a draft can be deleted"):
        await invoices.delete_draft(rows, events, member, invoice.id)


async def test_deleting_a_draft_frees_its_work_and_leaves_no_lines(rows, events, member, work):
    client, _, first, _ = work
    invoice = await drafted(rows, events, member, client, first)

    await invoices.delete_draft(rows, events, member, invoice.id)

    assert rows.all(Invoice) == [] and rows.all(InvoiceLine) == []
    assert first.invoice_id is None
    [event] = events.payloads(InvoiceDraftDeleted)
    assert event.invoice_id == invoice.id
    with pytest.raises(NotFound):
        await invoices.delete_draft(rows, events, member, invoice.id)


async def test_a_draft_line_changes_and_the_totals_follow(rows, events, member, work):
    client, _, first, second = work
    invoice = await drafted(rows, events, member, client, first, second, vat_rate=Decimal(21))
    line = (await rows.lines(invoice))[1]

    change = LineChange(description="Reverse charge", vat_rate=Decimal(0))
    changed = await invoices.change_line(rows, events, member, invoice.id, line.id, change)

    assert (changed.vat_total, changed.total) == (Decimal("210.00"), Decimal("2210.00"))
    [event] = events.payloads(InvoiceDraftUpdated)
    assert event.changes["lines.2.vat_rate"].after == "0"
    assert event.changes["lines.2.description"].after == "Reverse charge"

    unchanged = LineChange(description="Reverse charge")
    await invoices.change_line(rows, events, member, invoice.id, line.id, unchanged)
    assert len(events.payloads(InvoiceDraftUpdated)) == 1, "no change, no event"
    with pytest.raises(NotFound, match="invoice line"):
        await invoices.change_line(rows, events, member, invoice.id, uuid.uuid4(), change)

    await invoices.issue(rows, events, member, invoice.id, date(2026, 3, 31))
    with pytest.raises(TransitionRefused, match="only a draft's lines can change"):
        await invoices.change_line(rows, events, member, invoice.id, line.id, change)


async def test_another_workspaces_invoice_is_not_found(rows, events, member, work):
    client, _, first, _ = work
    invoice = await drafted(rows, events, member, client, first)
    invoice.workspace_id = uuid.uuid4()
    for step in (invoices.issue, invoices.cancel, invoices.delete_draft):
        with pytest.raises(NotFound, match="invoice does not exist"):
            await step(rows, events, member, invoice.id)
