"""``kasa-integrations``: the shared ``serve``/``migrate`` commands plus ``rotate-credentials``."""

import asyncio
import sys

from pydantic import ValidationError

from kasa_servicekit.cli import service_main
from kasa_servicekit.db import Database


def rotate_credentials() -> int:
    """Re-encrypt every stored credential under the newest key of ``CREDENTIALS_KEYS``."""
    from kasa_integrations.configuration import rotate_all
    from kasa_integrations.main import vault_for
    from kasa_integrations.settings import IntegrationsSettings

    try:
        settings = IntegrationsSettings()
    except ValidationError as exc:
        print(f"invalid configuration:\n{exc}", file=sys.stderr)
        return 2

    async def rotate() -> int:
        db = Database(settings.database_url)
        try:
            return await rotate_all(db, vault_for(settings))
        finally:
            await db.dispose()

    count = asyncio.run(rotate())
    print(f"re-encrypted {count} stored credential set(s) under the newest key")
    return 0


def main() -> None:
    if sys.argv[1:2] == ["rotate-credentials"]:
        sys.exit(rotate_credentials())
    from kasa_integrations.main import build

    service_main(build)
