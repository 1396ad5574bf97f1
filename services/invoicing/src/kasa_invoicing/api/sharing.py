"""POST/DELETE /api/v1/invoices/{id}/share: client-portal links to one invoice.

A token has 256 bits of randomness and is shown once; only its SHA-256 is stored, so a leaked
database does not open any invoice.
"""

import hashlib
import secrets
from datetime import datetime, timedelta
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select

from kasa_contracts.events.invoicing import InvoiceShared, InvoiceShareRevoked
from kasa_invoicing.api.records import conflict, publish
from kasa_invoicing.db.tables import Invoice, ShareLink
from kasa_servicekit.auth import WritingPrincipal
from kasa_servicekit.db import utcnow
from kasa_servicekit.ids import new_id
from kasa_servicekit.scoping import owned
from kasa_servicekit.service import Db

router = APIRouter(prefix="/api/v1/invoices", tags=["invoices"])


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class ShareIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    expires_in_days: Annotated[int | None, Field(ge=1, le=3650)] = Field(
        default=None, description="Empty: the link works until it is revoked"
    )


class ShareOut(BaseModel):
    id: UUID
    token: str = Field(description="Shown only now; Kasa keeps only its hash")
    url: str
    expires_at: datetime | None


@router.post("/{invoice_id}/share", response_model=ShareOut, status_code=201)
async def share_invoice(
    invoice_id: UUID,
    principal: WritingPrincipal,
    db: Db,
    request: Request,
    body: ShareIn | None = None,
) -> ShareOut:
    token = secrets.token_urlsafe(32)
    now = utcnow()
    days = body.expires_in_days if body else None
    expires_at = now + timedelta(days=days) if days else None
    async with db.transaction() as session:
        invoice = await owned(session, Invoice, invoice_id, principal.workspace_id, "invoice")
        if invoice.status == "draft":
            raise conflict("issue the invoice before sharing it with the client")
        link = ShareLink(
            id=new_id(),
            workspace_id=principal.workspace_id,
            invoice_id=invoice.id,
            token_hash=token_hash(token),
            expires_at=expires_at,
            revoked_at=None,
            created_at=now,
            view_count=0,
            last_viewed_at=None,
        )
        session.add(link)
        await publish(
            session,
            principal,
            InvoiceShared(invoice_id=invoice.id, share_id=link.id, expires_at=expires_at),
        )
    base = request.app.state.runtime.settings.public_url or ""
    return ShareOut(
        id=link.id, token=token, url=f"{base.rstrip('/')}/portal/{token}", expires_at=expires_at
    )


@router.delete("/{invoice_id}/share", status_code=204)
async def revoke_shares(invoice_id: UUID, principal: WritingPrincipal, db: Db) -> Response:
    """Revoke every live portal link of the invoice."""
    async with db.transaction() as session:
        invoice = await owned(session, Invoice, invoice_id, principal.workspace_id, "invoice")
        links = list(
            await session.scalars(
                select(ShareLink).where(
                    ShareLink.invoice_id == invoice.id, ShareLink.revoked_at.is_(None)
                )
            )
        )
        now = utcnow()
        for link in links:
            link.revoked_at = now
        if links:
            await publish(
                session,
                principal,
                InvoiceShareRevoked(invoice_id=invoice.id, share_ids=[x.id for x in links]),
            )
    return Response(status_code=204)
