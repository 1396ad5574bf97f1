"""Client-portal links to one invoice: sharing, revoking, and the client's views.

The token is shown once, when the link is made; only its hash is kept (``domain/sharing.py``).
Unknown, revoked and expired tokens all lead nowhere alike, so a token cannot be probed.
"""

from dataclasses import dataclass
from datetime import datetime
from typing import Literal, Protocol
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from kasa_contracts import Actor
from kasa_contracts.events.invoicing import (
    InvoicePortalViewed,
    InvoiceShared,
    InvoiceShareRevoked,
)
from kasa_invoicing.app.store import Store
from kasa_invoicing.db.tables import Invoice, ShareLink
from kasa_invoicing.domain import sharing
from kasa_invoicing.domain.lifecycle import check_shareable
from kasa_servicekit.db import utcnow
from kasa_servicekit.events import At, EventWriter, Origin
from kasa_servicekit.ids import new_id

PORTAL_ACTOR = Actor(type="system", id="client-portal", name="Client portal")
"""Who views an invoice through the portal: a client Kasa does not know by name."""


class ShareStore(Store, Protocol):
    async def live_links(self, invoice: Invoice) -> list[ShareLink]:
        """The invoice's links that are not revoked."""
        ...


class PortalStore(Protocol):
    session: AsyncSession

    async def link(self, token_hash: str) -> ShareLink | None:
        """The link with this token hash, in any workspace, locked for the view count."""
        ...

    async def invoice(self, link: ShareLink) -> Invoice | None:
        """The link's invoice, if it is still in the link's workspace."""
        ...


@dataclass(frozen=True)
class Shared:
    link: ShareLink
    token: str
    """Shown only now; Kasa keeps only its hash."""


async def share(
    store: Store,
    events: EventWriter,
    by: Origin,
    invoice_id: UUID,
    expires_in_days: int | None = None,
    now: datetime | None = None,
    default_days: int = sharing.DEFAULT_LINK_DAYS,
) -> Shared:
    """A new link to an issued invoice, working until revoked and for ``expires_in_days``
    (``default_days`` when not given)."""
    token = sharing.new_token()
    now = now or utcnow()
    expires_at = sharing.expiry(now, expires_in_days, default_days)
    invoice = await store.owned(Invoice, invoice_id, "invoice")
    check_shareable(invoice.status)
    link = ShareLink(
        id=new_id(),
        workspace_id=store.workspace_id,
        invoice_id=invoice.id,
        token_hash=sharing.token_hash(token),
        expires_at=expires_at,
        revoked_at=None,
        created_at=now,
        view_count=0,
        last_viewed_at=None,
    )
    store.add(link)
    shared = InvoiceShared(invoice_id=invoice.id, share_id=link.id, expires_at=expires_at)
    await events.write(store.session, shared, on=by)
    return Shared(link, token)


async def revoke(store: ShareStore, events: EventWriter, by: Origin, invoice_id: UUID) -> None:
    """Revoke every live link of the invoice."""
    invoice = await store.owned(Invoice, invoice_id, "invoice")
    links = await store.live_links(invoice)
    now = utcnow()
    for link in links:
        link.revoked_at = now
    if links:
        revoked = InvoiceShareRevoked(invoice_id=invoice.id, share_ids=[x.id for x in links])
        await events.write(store.session, revoked, on=by)


async def view(
    store: PortalStore,
    events: EventWriter,
    token: str,
    what: Literal["page", "pdf"],
    now: datetime | None = None,
    default_days: int = sharing.DEFAULT_LINK_DAYS,
) -> Invoice | None:
    """The invoice a live token opens, with this view counted and published; None for any
    dead token. A link stored without an expiry works ``default_days`` after it was made."""
    if len(token) > sharing.MAX_TOKEN_LENGTH:
        return None
    link = await store.link(sharing.token_hash(token))
    now = now or utcnow()
    if link is None:
        return None
    expires_at = sharing.effective_expiry(link.expires_at, link.created_at, default_days)
    if not sharing.is_live(link.revoked_at, expires_at, now):
        return None
    invoice = await store.invoice(link)
    if invoice is None:
        return None
    link.view_count += 1
    link.last_viewed_at = now
    viewed = InvoicePortalViewed(invoice_id=invoice.id, share_id=link.id, what=what)
    await events.write(store.session, viewed, on=At(link.workspace_id, PORTAL_ACTOR))
    return invoice
