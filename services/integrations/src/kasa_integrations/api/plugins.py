"""Plugins: what is available, and this workspace's configuration of each."""

from dataclasses import asdict
from datetime import datetime
from typing import Any
from uuid import UUID

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from kasa_integrations.api.dependencies import Begin, Plugins, Vault, plugin_named
from kasa_integrations.app import plugin_configuration
from kasa_integrations.plugins.base import Plugin
from kasa_servicekit.auth import AdminPrincipal, CurrentPrincipal
from kasa_servicekit.service import Events

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
async def list_plugins(principal: CurrentPrincipal, begin: Begin, plugins: Plugins) -> PluginList:
    async with begin() as uow:
        overview = await plugin_configuration.overview(uow, plugins, principal.workspace_id)
    return PluginList(
        items=[
            PluginOut(
                **_describe(entry.plugin),
                configured=entry.config.configured,
                enabled=entry.config.enabled,
                last_sync=LastSync(
                    id=entry.last_sync.id,
                    status=entry.last_sync.status,
                    created_at=entry.last_sync.created_at,
                    completed_at=entry.last_sync.completed_at,
                )
                if entry.last_sync
                else None,
            )
            for entry in overview
        ]
    )


@router.get("/plugins/{plugin_name}/config", response_model=ConfigOut)
async def get_config(
    plugin_name: str, principal: CurrentPrincipal, begin: Begin, plugins: Plugins
) -> ConfigOut:
    plugin = plugin_named(plugins, plugin_name)
    async with begin() as uow:
        config = await plugin_configuration.effective_config(uow, plugin, principal.workspace_id)
    return ConfigOut(
        plugin=plugin.name,
        configured=config.configured,
        enabled=config.enabled,
        settings=config.settings,
        credentials_set=config.credentials_set,
        updated_at=config.row.updated_at if config.row else None,
    )


@router.put("/plugins/{plugin_name}/config", response_model=ConfigOut)
async def put_config(
    plugin_name: str,
    body: ConfigIn,
    principal: AdminPrincipal,
    begin: Begin,
    events: Events,
    plugins: Plugins,
    vault: Vault,
) -> ConfigOut:
    plugin = plugin_named(plugins, plugin_name)
    async with begin() as uow:
        row = await plugin_configuration.save_config(
            uow,
            events,
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
