"""The workspace's supplier profile: one row, keyed by the workspace."""

from kasa_invoicing.db.store import SqlStore
from kasa_invoicing.db.tables import SupplierProfile


class SupplierRows(SqlStore):
    async def supplier(self, *, lock: bool = False) -> SupplierProfile | None:
        return await self.session.get(SupplierProfile, self.workspace_id, with_for_update=lock)
