"""Queries behind the project use cases."""

from sqlalchemy import exists, select

from kasa_invoicing.db.store import SqlStore
from kasa_invoicing.db.tables import Client, Project, WorkEntry


class ProjectRows(SqlStore):
    async def client_of(self, project: Project) -> Client:
        client = await self.session.get(Client, project.client_id)
        assert client is not None
        return client

    async def has_work(self, project: Project) -> bool:
        return bool(
            await self.session.scalar(select(exists().where(WorkEntry.project_id == project.id)))
        )
