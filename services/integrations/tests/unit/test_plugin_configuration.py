"""Configuring plugins and rotating keys, on in-memory doubles of the database."""

from uuid import uuid4

import pytest
from cryptography.fernet import Fernet

from kasa_contracts.events.integrations import PluginConfigured
from kasa_integrations.app.credentials_rotation import rotate_all
from kasa_integrations.app.plugin_configuration import effective_config, overview, save_config
from kasa_integrations.domain.errors import ConfigurationInvalid
from kasa_integrations.plugins import registry
from kasa_integrations.security.credentials import CredentialVault
from kasa_servicekit.auth import Principal
from kasa_servicekit.events import RecordedEvents

FIO = registry()["fio"]
TOKEN = "T0k3n" * 12 + "abcd"


@pytest.fixture
def vault() -> CredentialVault:
    return CredentialVault([Fernet.generate_key().decode()])


def owner() -> Principal:
    return Principal(user_id=uuid4(), workspace_id=uuid4(), role="owner")


async def test_a_configuration_that_does_not_fit_names_the_fields_and_never_the_values(
    store, vault
):
    with pytest.raises(ConfigurationInvalid) as refused:
        await save_config(
            store,
            RecordedEvents(),
            vault,
            FIO,
            owner(),
            enabled=True,
            settings={},
            credentials={"token": "short-secret"},
        )
    assert str(refused.value) == "the credentials do not fit the plugin"
    assert [e["loc"] for e in refused.value.errors] == [["body", "credentials", "token"]]
    assert "short-secret" not in str(refused.value.errors)


async def test_saving_encrypts_announces_without_secrets_and_keeps_stored_credentials(store, vault):
    eva, events = owner(), RecordedEvents()
    await save_config(
        store, events, vault, FIO, eva, enabled=True, settings={}, credentials={"token": TOKEN}
    )
    await save_config(
        store, events, vault, FIO, eva, enabled=True, settings={"initial_days": 7}, credentials=None
    )
    config = await effective_config(store, FIO, eva.workspace_id)
    assert (config.configured, config.credentials_set) == (True, ["token"])
    assert config.credentials(vault) == {"token": TOKEN}, "omitted credentials are kept"
    first, second = events.payloads(PluginConfigured)
    assert first.changes["credentials.token"].redacted and TOKEN not in str(events.written)
    assert second.changed_fields == ["settings.initial_days"]
    [fio] = [
        e for e in await overview(store, registry(), eva.workspace_id) if e.plugin.name == "fio"
    ]
    assert fio.config.enabled and fio.last_sync is None


async def test_rotation_re_encrypts_every_stored_credential_under_the_newest_key(store):
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    eva = owner()
    await save_config(
        store,
        RecordedEvents(),
        CredentialVault([old]),
        FIO,
        eva,
        enabled=True,
        settings={},
        credentials={"token": TOKEN},
    )
    assert await rotate_all(store, CredentialVault([new, old])) == 1
    [row] = store.configs.rows.values()
    stored = CredentialVault([new]).decrypt(eva.workspace_id, "fio", row.credentials_ciphertext)
    assert stored == {"token": TOKEN}
