"""``kasa-integrations rotate-credentials``: re-encrypt every stored credential under the newest
key of ``CREDENTIALS_KEYS``, so older keys can then be retired."""

import argparse
import asyncio

from kasa_integrations.app.credentials_rotation import rotate_all
from kasa_integrations.db.unit_of_work import transactions
from kasa_integrations.security.credentials import vault_for
from kasa_integrations.settings import IntegrationsSettings
from kasa_servicekit.cli import Command
from kasa_servicekit.db import Database
from kasa_servicekit.service import ServiceSpec


def run(spec: ServiceSpec, args: argparse.Namespace) -> int:
    settings = spec.settings
    assert isinstance(settings, IntegrationsSettings)

    async def rotate() -> int:
        db = Database(settings.database_url)
        try:
            async with transactions(db)() as uow:
                return await rotate_all(uow, vault_for(settings))
        finally:
            await db.dispose()

    count = asyncio.run(rotate())
    print(f"re-encrypted {count} stored credential set(s) under the newest key")
    return 0


COMMAND = Command(
    name="rotate-credentials",
    help="re-encrypt every stored credential under the newest key",
    run=run,
)
