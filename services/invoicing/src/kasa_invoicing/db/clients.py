"""Queries behind the client use cases."""

from sqlalchemy import exists, select

from kasa_invoicing.db.store import SqlStore
from kasa_invoicing.db.tables import Client, Invoice, Project


class ClientRows(SqlStore):
    async def in_use(self, client: Client) -> bool:
        return bool(
            await self.session.scalar(
                select(
                    exists().where(Project.client_id == client.id)
                    | exists().where(Invoice.client_id == client.id)
                )
            )
        )
