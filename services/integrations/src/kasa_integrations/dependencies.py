"""What routes take from the running service: the plugin registry and the credential vault."""

from typing import Annotated

from fastapi import Depends, Request

from kasa_integrations.credentials import CredentialVault
from kasa_integrations.plugins.base import Plugin
from kasa_servicekit.problems import not_found


async def get_plugins(request: Request) -> dict[str, Plugin]:
    plugins: dict[str, Plugin] = request.app.state.plugins
    return plugins


async def get_vault(request: Request) -> CredentialVault:
    vault: CredentialVault = request.app.state.vault
    return vault


Plugins = Annotated[dict[str, Plugin], Depends(get_plugins)]
Vault = Annotated[CredentialVault, Depends(get_vault)]


def plugin_named(plugins: dict[str, Plugin], name: str) -> Plugin:
    plugin = plugins.get(name)
    if plugin is None:
        raise not_found(f"plugin {name!r}")
    return plugin
