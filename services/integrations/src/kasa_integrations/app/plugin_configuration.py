"""A workspace's configuration of a plugin: validated settings, encrypted credentials, on/off.

A plugin that needs nothing (its ``Settings`` and ``Credentials`` are valid empty) is
configured and enabled until a workspace says otherwise; any other plugin needs a ``PUT`` of
its configuration first. Changes publish ``integrations.plugin.configured.v1`` naming the
changed fields; credential values never leave this module except to the running plugin.
"""

from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from pydantic import BaseModel, ValidationError

from kasa_contracts.changes import diff
from kasa_contracts.events.integrations import PluginConfigured
from kasa_integrations.db.tables import PluginConfig, Sync
from kasa_integrations.db.unit_of_work import UnitOfWork
from kasa_integrations.domain.errors import ConfigurationInvalid
from kasa_integrations.plugins.base import Plugin
from kasa_integrations.security import redaction
from kasa_integrations.security.credentials import CredentialVault
from kasa_servicekit.auth import Principal
from kasa_servicekit.db import utcnow
from kasa_servicekit.events import EventWriter
from kasa_servicekit.ids import new_id


@dataclass
class EffectiveConfig:
    """What a workspace has set for a plugin, defaults included; credentials still sealed."""

    plugin: Plugin
    workspace_id: UUID
    configured: bool
    enabled: bool
    settings: dict[str, Any] = field(default_factory=dict)
    credentials_set: list[str] = field(default_factory=list)
    ciphertext: str | None = None
    row: PluginConfig | None = None

    def credentials(self, vault: CredentialVault | None) -> dict[str, Any]:
        """The decrypted credentials, for the plugin's run only."""
        if not self.ciphertext:
            return {}
        if vault is None:
            raise ValueError("credentials are stored but no keys are configured")
        return vault.decrypt(self.workspace_id, self.plugin.name, self.ciphertext)


@dataclass(frozen=True)
class PluginOverview:
    plugin: Plugin
    config: EffectiveConfig
    last_sync: Sync | None


async def effective_config(uow: UnitOfWork, plugin: Plugin, workspace_id: UUID) -> EffectiveConfig:
    row = await uow.configs.get(workspace_id, plugin.name)
    if row is None:
        ready = not plugin.needs_configuration()
        return EffectiveConfig(plugin, workspace_id, configured=ready, enabled=ready)
    return EffectiveConfig(
        plugin,
        workspace_id,
        configured=True,
        enabled=row.enabled,
        settings=dict(row.settings or {}),
        credentials_set=list(row.credentials_set or []),
        ciphertext=row.credentials_ciphertext,
        row=row,
    )


async def overview(
    uow: UnitOfWork, plugins: dict[str, Plugin], workspace_id: UUID
) -> list[PluginOverview]:
    """Every plugin with this workspace's configuration of it and its latest sync."""
    return [
        PluginOverview(
            plugin,
            await effective_config(uow, plugin, workspace_id),
            await uow.syncs.last_of(workspace_id, plugin.name),
        )
        for plugin in plugins.values()
    ]


def _field_errors(exc: ValidationError, part: str, secrets: list[str]) -> list[dict[str, Any]]:
    # Only locations and messages: pydantic's "input" would echo a credential back. A plugin's
    # own validator may still quote the value in its message (often pydantic's shortened
    # echo of it), so messages are redacted against the submitted values.
    return [
        {
            "loc": ["body", part, *err["loc"]],
            "msg": redaction.redact(str(err["msg"]), secrets),
            "type": err["type"],
        }
        for err in exc.errors()
    ]


def _validate(
    model: type[BaseModel], values: dict[str, Any], part: str, secrets: list[str] | None = None
) -> BaseModel:
    try:
        return model.model_validate(values)
    except ValidationError as exc:
        raise ConfigurationInvalid(part, _field_errors(exc, part, secrets or [])) from None


async def save_config(
    uow: UnitOfWork,
    events: EventWriter,
    vault: CredentialVault,
    plugin: Plugin,
    principal: Principal,
    *,
    enabled: bool,
    settings: dict[str, Any],
    credentials: dict[str, Any] | None,
) -> PluginConfig:
    """Validate and store a configuration; omitted credentials keep the stored ones.

    Credentials given are merged over the stored ones, so a form can change one field.
    Raises ``ConfigurationInvalid`` naming the fields that do not fit. While this runs, the
    submitted credential values are redacted from every log line of the process.
    """
    with redaction.holding(redaction.secret_values(credentials or {})):
        return await _save_config(
            uow,
            events,
            vault,
            plugin,
            principal,
            enabled=enabled,
            settings=settings,
            credentials=credentials,
        )


async def _save_config(
    uow: UnitOfWork,
    events: EventWriter,
    vault: CredentialVault,
    plugin: Plugin,
    principal: Principal,
    *,
    enabled: bool,
    settings: dict[str, Any],
    credentials: dict[str, Any] | None,
) -> PluginConfig:
    workspace_id = principal.workspace_id
    valid_settings = _validate(plugin.Settings, settings, "settings").model_dump(mode="json")
    row = await uow.configs.get(workspace_id, plugin.name)
    stored: dict[str, Any] = {}
    if row is not None and row.credentials_ciphertext:
        stored = vault.decrypt(workspace_id, plugin.name, row.credentials_ciphertext)
    merged = {**stored, **(credentials or {})}
    valid_credentials = _validate(
        plugin.Credentials, merged, "credentials", redaction.secret_values(merged)
    ).model_dump(mode="json", exclude_none=True)
    before = _snapshot(row.enabled, row.settings, stored) if row else None
    after = _snapshot(enabled, valid_settings, valid_credentials)
    secret = [f"credentials.{name}" for name in plugin.secret_fields()]
    changes = diff(before, after, secret=secret)
    now = utcnow()
    ciphertext = (
        vault.encrypt(workspace_id, plugin.name, valid_credentials) if valid_credentials else None
    )
    if row is None:
        row = PluginConfig(
            id=new_id(), workspace_id=workspace_id, plugin=plugin.name, created_at=now
        )
        uow.configs.add(row)
    row.enabled = enabled
    row.settings = valid_settings
    row.credentials_ciphertext = ciphertext
    row.credentials_set = sorted(valid_credentials)
    row.updated_at = now
    row.updated_by = str(principal.user_id)
    if changes or before is None:
        await events.write(
            uow.session,
            PluginConfigured(
                plugin=plugin.name,
                plugin_version=plugin.version,
                enabled=enabled,
                changed_fields=sorted(changes),
                changes=changes,
            ),
            on=principal,
        )
    return row


def _snapshot(
    enabled: bool, settings: dict[str, Any], credentials: dict[str, Any]
) -> dict[str, Any]:
    snapshot: dict[str, Any] = {"enabled": enabled}
    snapshot |= {f"settings.{k}": v for k, v in settings.items()}
    snapshot |= {f"credentials.{k}": v for k, v in credentials.items()}
    return snapshot
