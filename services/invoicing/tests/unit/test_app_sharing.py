"""Portal links in memory: only issued invoices are shared, dead tokens open nothing."""

import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from kasa_contracts.events.invoicing import (
    InvoicePortalViewed,
    InvoiceShared,
    InvoiceShareRevoked,
)
from kasa_invoicing.app import sharing
from kasa_invoicing.app.sharing import PORTAL_ACTOR
from kasa_invoicing.db.tables import Invoice
from kasa_invoicing.domain.lifecycle import TransitionRefused

NOW = datetime(2026, 4, 1, 12, tzinfo=UTC)


@pytest.fixture
def invoice(rows):
    row = Invoice(
        id=uuid.uuid4(),
        workspace_id=rows.workspace_id,
        client_id=rows.client().id,
        status="issued",
        number="2026-0001",
        total=Decimal(100),
        paid_total=Decimal(0),
        due_date=date(2026, 4, 14),
    )
    rows.add(row)
    return row


async def test_a_link_opens_its_invoice_and_every_view_is_counted(rows, events, member, invoice):
    shared = await sharing.share(rows, events, member, invoice.id, 7, now=NOW)
    assert shared.link.token_hash != shared.token and shared.link.expires_at == NOW + timedelta(7)
    [made] = events.payloads(InvoiceShared)
    assert shared.token not in made.model_dump_json(), "the token never travels in events"

    opened = await sharing.view(rows, events, shared.token, "page", now=NOW)
    await sharing.view(rows, events, shared.token, "pdf", now=NOW)

    assert opened is invoice and shared.link.view_count == 2
    views = [e for e in events.written if isinstance(e.payload, InvoicePortalViewed)]
    assert [v.payload.what for v in views] == ["page", "pdf"]
    assert {(v.workspace_id, v.actor) for v in views} == {(rows.workspace_id, PORTAL_ACTOR)}


async def test_a_draft_is_not_shared(rows, events, member, invoice):
    invoice.status = "draft"
    with pytest.raises(TransitionRefused, match="issue the invoice before sharing"):
        await sharing.share(rows, events, member, invoice.id)
    assert events.written == []


async def test_revoked_expired_and_unknown_tokens_open_nothing(rows, events, member, invoice):
    revoked = await sharing.share(rows, events, member, invoice.id, now=NOW)
    expiring = await sharing.share(rows, events, member, invoice.id, 1, now=NOW)
    await sharing.revoke(rows, events, member, invoice.id)
    [event] = events.payloads(InvoiceShareRevoked)
    assert set(event.share_ids) == {revoked.link.id, expiring.link.id}
    await sharing.revoke(rows, events, member, invoice.id)
    assert len(events.payloads(InvoiceShareRevoked)) == 1, "nothing left to revoke"

    expiring.link.revoked_at = None  # live again, but past its day
    later = NOW + timedelta(days=1)
    for token in (revoked.token, expiring.token, "A" * 43, "A" * 201):
        assert await sharing.view(rows, events, token, "page", now=later) is None
    assert events.payloads(InvoicePortalViewed) == []
