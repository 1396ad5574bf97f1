"""Workspaces' configurations of plugins (credentials only as ciphertext)."""

from collections.abc import Sequence
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kasa_integrations.db.tables import PluginConfig


class PluginConfigs:
    """``plugin_configs`` in one transaction."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, workspace_id: UUID, plugin: str) -> PluginConfig | None:
        return await self.session.scalar(
            select(PluginConfig).where(
                PluginConfig.workspace_id == workspace_id, PluginConfig.plugin == plugin
            )
        )

    def add(self, row: PluginConfig) -> None:
        self.session.add(row)

    async def with_credentials(self) -> Sequence[PluginConfig]:
        return (
            await self.session.scalars(
                select(PluginConfig).where(PluginConfig.credentials_ciphertext.is_not(None))
            )
        ).all()
