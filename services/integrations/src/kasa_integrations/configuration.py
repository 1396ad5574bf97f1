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
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kasa_contracts.changes import diff
from kasa_contracts.events.integrations import PluginConfigured
from kasa_integrations.credentials import CredentialVault
from kasa_integrations.db.tables import PluginConfig
from kasa_integrations.plugins.base import Plugin
from kasa_servicekit.auth import Principal
from kasa_servicekit.db import Database, utcnow
from kasa_servicekit.ids import new_id
from kasa_servicekit.outbox import add_payloads
from kasa_servicekit.problems import ProblemError


@dataclass
class EffectiveConfig:
    plugin: Plugin
    workspace_id: UUID
    configured: bool
    enabled: bool
    settings: dict[str, Any] = field(default_factory=dict)
    credentials_set: list[str] = field(default_factory=list)
    ciphertext: str | None = None

    def credentials(self, vault: CredentialVault | None) -> dict[str, Any]:
        """The decrypted credentials, for the plugin's run only."""
        if not self.ciphertext:
            return {}
        if vault is None:
            raise ValueError("credentials are stored but no keys are configured")
        return vault.decrypt(self.workspace_id, self.plugin.name, self.ciphertext)


async def load_config(
    session: AsyncSession, plugin_name: str, workspace_id: UUID
) -> PluginConfig | None:
    return await session.scalar(
        select(PluginConfig).where(
            PluginConfig.workspace_id == workspace_id, PluginConfig.plugin == plugin_name
        )
    )


async def effective_config(
    session: AsyncSession, plugin: Plugin, workspace_id: UUID
) -> EffectiveConfig:
    row = await load_config(session, plugin.name, workspace_id)
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
    )


def _field_errors(exc: ValidationError, prefix: str) -> list[dict[str, Any]]:
    # Only locations and messages: pydantic's "input" would echo a credential back.
    return [
        {"loc": ["body", prefix, *err["loc"]], "msg": err["msg"], "type": err["type"]}
        for err in exc.errors()
    ]


def _validate(model: type[BaseModel], values: dict[str, Any], prefix: str) -> BaseModel:
    try:
        return model.model_validate(values)
    except ValidationError as exc:
        raise ProblemError(
            422,
            "Unprocessable Content",
            f"the {prefix} do not fit the plugin",
            errors=_field_errors(exc, prefix),
        ) from None


async def save_config(
    db: Database,
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
    """
    workspace_id = principal.workspace_id
    valid_settings = _validate(plugin.Settings, settings, "settings").model_dump(mode="json")
    async with db.transaction() as session:
        row = await load_config(session, plugin.name, workspace_id)
        stored: dict[str, Any] = {}
        if row is not None and row.credentials_ciphertext:
            stored = vault.decrypt(workspace_id, plugin.name, row.credentials_ciphertext)
        merged = {**stored, **(credentials or {})}
        valid_credentials = _validate(plugin.Credentials, merged, "credentials").model_dump(
            mode="json", exclude_none=True
        )
        before = _snapshot(row.enabled, row.settings, stored) if row else None
        after = _snapshot(enabled, valid_settings, valid_credentials)
        secret = [f"credentials.{name}" for name in plugin.secret_fields()]
        changes = diff(before, after, secret=secret)
        now = utcnow()
        ciphertext = (
            vault.encrypt(workspace_id, plugin.name, valid_credentials)
            if valid_credentials
            else None
        )
        if row is None:
            row = PluginConfig(
                id=new_id(),
                workspace_id=workspace_id,
                plugin=plugin.name,
                created_at=now,
            )
            session.add(row)
        row.enabled = enabled
        row.settings = valid_settings
        row.credentials_ciphertext = ciphertext
        row.credentials_set = sorted(valid_credentials)
        row.updated_at = now
        row.updated_by = str(principal.user_id)
        if changes or before is None:
            payload = PluginConfigured(
                plugin=plugin.name,
                plugin_version=plugin.version,
                enabled=enabled,
                changed_fields=sorted(changes),
                changes=changes,
            )
            await add_payloads(
                session,
                payload,
                producer="integrations",
                workspace_id=workspace_id,
                actor=principal.actor,
            )
    return row


def _snapshot(
    enabled: bool, settings: dict[str, Any], credentials: dict[str, Any]
) -> dict[str, Any]:
    snapshot: dict[str, Any] = {"enabled": enabled}
    snapshot |= {f"settings.{k}": v for k, v in settings.items()}
    snapshot |= {f"credentials.{k}": v for k, v in credentials.items()}
    return snapshot


async def rotate_all(db: Database, vault: CredentialVault) -> int:
    """Re-encrypt every stored credential under the newest key; returns how many."""
    rotated = 0
    async with db.transaction() as session:
        rows = (
            await session.scalars(
                select(PluginConfig).where(PluginConfig.credentials_ciphertext.is_not(None))
            )
        ).all()
        for row in rows:
            assert row.credentials_ciphertext is not None
            row.credentials_ciphertext = vault.rotate(row.credentials_ciphertext)
            rotated += 1
    return rotated
