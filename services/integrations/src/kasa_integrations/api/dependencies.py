"""What routes take from the running service: the plugin registry, the vault, transactions."""

from typing import Annotated

from fastapi import Depends, Request

from kasa_integrations.app.uploads import UploadGate
from kasa_integrations.db.unit_of_work import Transactions, transactions
from kasa_integrations.plugins.base import Plugin
from kasa_integrations.security.credentials import CredentialVault
from kasa_servicekit.problems import not_found


async def get_plugins(request: Request) -> dict[str, Plugin]:
    plugins: dict[str, Plugin] = request.app.state.plugins
    return plugins


async def get_vault(request: Request) -> CredentialVault:
    vault: CredentialVault = request.app.state.vault
    return vault


async def get_uploads(request: Request) -> UploadGate:
    gate: UploadGate = request.app.state.uploads
    return gate


async def get_transactions(request: Request) -> Transactions:
    return transactions(request.app.state.runtime.db)


Plugins = Annotated[dict[str, Plugin], Depends(get_plugins)]
Vault = Annotated[CredentialVault, Depends(get_vault)]
Uploads = Annotated[UploadGate, Depends(get_uploads)]
Begin = Annotated[Transactions, Depends(get_transactions)]
"""Opens units of work, each in its own transaction."""


def plugin_named(plugins: dict[str, Plugin], name: str) -> Plugin:
    plugin = plugins.get(name)
    if plugin is None:
        raise not_found(f"plugin {name!r}")
    return plugin
