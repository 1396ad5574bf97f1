"""Re-encrypting every stored credential under the vault's newest key."""

from kasa_integrations.db.unit_of_work import UnitOfWork
from kasa_integrations.security.credentials import CredentialVault


async def rotate_all(uow: UnitOfWork, vault: CredentialVault) -> int:
    """Re-encrypt every stored credential set in one transaction; returns how many."""
    rotated = 0
    for row in await uow.configs.with_credentials():
        assert row.credentials_ciphertext is not None
        row.credentials_ciphertext = vault.rotate(row.credentials_ciphertext)
        rotated += 1
    return rotated
