"""What each plugin has imported for a workspace, and where its cursor stands."""

import json
from collections.abc import Iterable
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from kasa_integrations.db.tables import ImportedRecord, PluginState
from kasa_integrations.domain.dedupe import Known
from kasa_servicekit.db import utcnow
from kasa_servicekit.ids import new_id


class Imports:
    """``imported_records`` and ``plugin_states`` in one transaction."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def known(
        self, workspace_id: UUID, plugin: str, external_ids: Iterable[str]
    ) -> dict[str, Known]:
        rows = await self.session.execute(
            select(
                ImportedRecord.external_id, ImportedRecord.fingerprint, ImportedRecord.content
            ).where(
                ImportedRecord.workspace_id == workspace_id,
                ImportedRecord.plugin == plugin,
                ImportedRecord.external_id.in_(set(external_ids)),
            )
        )
        return {r.external_id: Known(r.fingerprint, r.content or {}) for r in rows.all()}

    async def add(
        self,
        workspace_id: UUID,
        plugin: str,
        sync_id: UUID,
        records: Iterable[tuple[str, str, dict[str, Any]]],
        now: datetime,
    ) -> None:
        """Insert new records: ``(external_id, fingerprint, content)`` each."""
        rows = [
            {
                "id": new_id(),
                "workspace_id": workspace_id,
                "plugin": plugin,
                "external_id": external_id,
                "fingerprint": print_,
                "sync_id": sync_id,
                "imported_at": now,
                "content": content,
            }
            for external_id, print_, content in records
        ]
        if rows:
            await self.session.execute(insert(ImportedRecord), rows)

    async def change(
        self,
        workspace_id: UUID,
        plugin: str,
        external_id: str,
        print_: str,
        content: dict[str, Any],
        now: datetime,
    ) -> None:
        await self.session.execute(
            update(ImportedRecord)
            .where(
                ImportedRecord.workspace_id == workspace_id,
                ImportedRecord.plugin == plugin,
                ImportedRecord.external_id == external_id,
            )
            .values(fingerprint=print_, content=content, updated_at=now)
        )

    async def cursor(self, workspace_id: UUID, plugin: str) -> dict[str, Any]:
        stored = await self.session.get(PluginState, (workspace_id, plugin))
        return dict(stored.state) if stored else {}

    async def save_cursor(self, workspace_id: UUID, plugin: str, state: dict[str, Any]) -> None:
        row = await self.session.get(PluginState, (workspace_id, plugin))
        snapshot = json.loads(json.dumps(state, default=str))
        if row is None:
            self.session.add(
                PluginState(
                    workspace_id=workspace_id, plugin=plugin, state=snapshot, updated_at=utcnow()
                )
            )
        elif row.state != snapshot:
            row.state = snapshot
            row.updated_at = utcnow()
