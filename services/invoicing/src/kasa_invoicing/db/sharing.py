"""Queries behind client-portal links."""

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kasa_invoicing.db.store import SqlStore
from kasa_invoicing.db.tables import Invoice, ShareLink


class ShareRows(SqlStore):
    async def live_links(self, invoice: Invoice) -> list[ShareLink]:
        return list(
            await self.session.scalars(
                select(ShareLink).where(
                    ShareLink.invoice_id == invoice.id, ShareLink.revoked_at.is_(None)
                )
            )
        )


class PortalRows:
    """The portal knows no workspace until a link names one."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def link(self, token_hash: str) -> ShareLink | None:
        """The link with this token's hash, locked so concurrent views count one by one."""
        return await self.session.scalar(
            select(ShareLink).where(ShareLink.token_hash == token_hash).with_for_update()
        )

    async def invoice(self, link: ShareLink) -> Invoice | None:
        invoice = await self.session.get(Invoice, link.invoice_id)
        return (
            invoice if invoice is not None and invoice.workspace_id == link.workspace_id else None
        )
