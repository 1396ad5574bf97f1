"""POST/DELETE /api/v1/invoices/{id}/share: client-portal links to one invoice.

A token has 256 bits of randomness and is shown once; only its SHA-256 is stored, so a leaked
database does not open any invoice.
"""

from datetime import datetime
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from kasa_invoicing.app import sharing
from kasa_invoicing.db.sharing import ShareRows
from kasa_servicekit.auth import MemberPrincipal
from kasa_servicekit.service import Db, Events

router = APIRouter(prefix="/api/v1/invoices", tags=["invoices"])


class ShareIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    expires_in_days: Annotated[int | None, Field(ge=1, le=3650)] = Field(
        default=None,
        description="Days the link works (until revoked sooner); empty: the service's "
        "PORTAL_LINK_DAYS, 90 unless configured",
    )


class ShareOut(BaseModel):
    id: UUID
    token: str = Field(description="Shown only now; Kasa keeps only its hash")
    url: str
    expires_at: datetime = Field(description="When the link stops working; every link expires")


@router.post("/{invoice_id}/share", response_model=ShareOut, status_code=201)
async def share_invoice(
    invoice_id: UUID,
    principal: MemberPrincipal,
    db: Db,
    events: Events,
    request: Request,
    body: ShareIn | None = None,
) -> ShareOut:
    async with db.transaction() as session:
        store = ShareRows(session, principal.workspace_id)
        settings = request.app.state.runtime.settings
        days = body.expires_in_days if body else None
        shared = await sharing.share(
            store, events, principal, invoice_id, days, default_days=settings.portal_link_days
        )
    base = settings.public_url or ""
    return ShareOut(
        id=shared.link.id,
        token=shared.token,
        url=f"{base.rstrip('/')}/portal/{shared.token}",
        expires_at=shared.link.expires_at,
    )


@router.delete("/{invoice_id}/share", status_code=204)
async def revoke_shares(
    invoice_id: UUID, principal: MemberPrincipal, db: Db, events: Events
) -> Response:
    """Revoke every live portal link of the invoice."""
    async with db.transaction() as session:
        await sharing.revoke(
            ShareRows(session, principal.workspace_id), events, principal, invoice_id
        )
    return Response(status_code=204)
