"""Plugins: what is available, and this workspace's configuration of each."""

from dataclasses import asdict
from datetime import datetime
from typing import Any
from uuid import UUID

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select

from kasa_integrations.configuration import effective_config, load_config, save_config
from kasa_integrations.db.tables import Sync
from kasa_integrations.dependencies import Plugins, Vault, plugin_named
from kasa_integrations.plugins.base import Plugin
from kasa_servicekit.auth import CurrentPrincipal, WritingPrincipal
from kasa_servicekit.service import Db

router = APIRouter(prefix="/api/v1", tags=["plugins"])


class LastSync(BaseModel):
    id: UUID
    status: str
    created_at: datetime
    completed_at: datetime | None


class PluginOut(BaseModel):
    name: str
    version: str
    display_name: str
    description: str
    settings_schema: dict[str, Any]
    credentials_schema: dict[str, Any]
    rate_limits: list[dict[str, Any]]
    accepts_upload: bool
    configured: bool
    enabled: bool
    last_sync: LastSync | None


class PluginList(BaseModel):
    items: list[PluginOut]


class ConfigIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    enabled: bool = True
    settings: dict[str, Any] = Field(default_factory=dict)
    credentials: dict[str, Any] | None = Field(
        default=None,
        description="Write-only. Omitted: keep the stored credentials; given: merged over them",
    )


class ConfigOut(BaseModel):
    plugin: str
    configured: bool
    enabled: bool
    settings: dict[str, Any]
    credentials_set: list[str] = Field(description="Names of the stored credential fields")
    updated_at: datetime | None


def _describe(plugin: Plugin) -> dict[str, Any]:
    return {
        "name": plugin.name,
        "version": plugin.version,
        "display_name": plugin.display_name,
        "description": plugin.description,
        "settings_schema": plugin.Settings.model_json_schema(),
        "credentials_schema": plugin.Credentials.model_json_schema(),
        "rate_limits": [asdict(limit) for limit in plugin.rate_limits],
        "accepts_upload": plugin.accepts_upload,
    }


@router.get("/plugins", response_model=PluginList)
async def list_plugins(principal: CurrentPrincipal, db: Db, plugins: Plugins) -> PluginList:
    items = []
    async with db.sessions() as session:
        for plugin in plugins.values():
            config = await effective_config(session, plugin, principal.workspace_id)
            last = await session.scalar(
                select(Sync)
                .where(Sync.workspace_id == principal.workspace_id, Sync.plugin == plugin.name)
                .order_by(Sync.created_at.desc(), Sync.id.desc())
                .limit(1)
            )
            items.append(
                PluginOut(
                    **_describe(plugin),
                    configured=config.configured,
                    enabled=config.enabled,
                    last_sync=LastSync(
                        id=last.id,
                        status=last.status,
                        created_at=last.created_at,
                        completed_at=last.completed_at,
                    )
                    if last
                    else None,
                )
            )
    return PluginList(items=items)


@router.get("/plugins/{plugin_name}/config", response_model=ConfigOut)
async def get_config(
    plugin_name: str, principal: CurrentPrincipal, db: Db, plugins: Plugins
) -> ConfigOut:
    plugin = plugin_named(plugins, plugin_name)
    async with db.sessions() as session:
        config = await effective_config(session, plugin, principal.workspace_id)
        row = await load_config(session, plugin.name, principal.workspace_id)
    return ConfigOut(
        plugin=plugin.name,
        configured=config.configured,
        enabled=config.enabled,
        settings=config.settings,
        credentials_set=config.credentials_set,
        updated_at=row.updated_at if row else None,
    )


@router.put("/plugins/{plugin_name}/config", response_model=ConfigOut)
async def put_config(
    plugin_name: str,
    body: ConfigIn,
    principal: WritingPrincipal,
    db: Db,
    plugins: Plugins,
    vault: Vault,
) -> ConfigOut:
    plugin = plugin_named(plugins, plugin_name)
    row = await save_config(
        db,
        vault,
        plugin,
        principal,
        enabled=body.enabled,
        settings=body.settings,
        credentials=body.credentials,
    )
    return ConfigOut(
        plugin=plugin.name,
        configured=True,
        enabled=row.enabled,
        settings=row.settings,
        credentials_set=row.credentials_set,
        updated_at=row.updated_at,
    )
