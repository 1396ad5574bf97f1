"""What each plugin has imported for a workspace, and where its cursor stands."""

import json
from collections.abc import Iterable
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import JSON, String, bindparam, insert, select, text, update
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql import Executable

from kasa_integrations.db.tables import ImportedRecord, PluginState
from kasa_integrations.domain.dedupe import Known
from kasa_servicekit.db import utcnow
from kasa_servicekit.ids import new_id

# One probe of the unique index per id. Given a 500-id `IN` list, PostgreSQL plans from the
# statistics of a table that a first sync is still filling: it believes the workspace holds one
# row, scans all of them, and compares each against the list, so every batch of a new
# workspace's sync cost more than the one before (over a second per batch at 12,500 rows).
# `LIMIT 1` keeps the lateral subquery from being flattened into a join it could plan the same way.
_KNOWN_ON_POSTGRES = (
    "SELECT k.external_id, r.fingerprint, r.content"
    " FROM unnest(:external_ids) AS k(external_id)"
    " CROSS JOIN LATERAL (SELECT i.fingerprint, i.content FROM imported_records AS i"
    " WHERE i.workspace_id = :workspace_id AND i.plugin = :plugin"
    " AND i.external_id = k.external_id LIMIT 1) AS r"
)
_KNOWN_PARAMETERS = (
    bindparam("external_ids", type_=ARRAY(ImportedRecord.external_id.type)),
    bindparam("workspace_id", type_=ImportedRecord.workspace_id.type),
    bindparam("plugin", type_=ImportedRecord.plugin.type),
)
_KNOWN = (
    text(_KNOWN_ON_POSTGRES)
    .bindparams(*_KNOWN_PARAMETERS)
    .columns(external_id=String, fingerprint=String, content=JSON)
)


class Imports:
    """``imported_records`` and ``plugin_states`` in one transaction."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def known(
        self, workspace_id: UUID, plugin: str, external_ids: Iterable[str]
    ) -> dict[str, Known]:
        ids = set(external_ids)
        query: Executable
        if self.session.get_bind().dialect.name == "postgresql":
            query = _KNOWN.bindparams(
                external_ids=list(ids), workspace_id=workspace_id, plugin=plugin
            )
        else:
            query = select(
                ImportedRecord.external_id, ImportedRecord.fingerprint, ImportedRecord.content
            ).where(
                ImportedRecord.workspace_id == workspace_id,
                ImportedRecord.plugin == plugin,
                ImportedRecord.external_id.in_(ids),
            )
        rows = await self.session.execute(query)
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
