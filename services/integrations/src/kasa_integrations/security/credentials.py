"""Plugin credentials at rest: authenticated encryption under rotating keys.

Credentials are stored as one Fernet token (AES-128-CBC + HMAC-SHA256) per workspace and
plugin. Several keys are accepted (``CREDENTIALS_KEYS``, newest first): the newest encrypts,
every key decrypts, and ``rotate`` re-encrypts a token under the newest key. The plaintext names
its workspace and plugin, so a ciphertext copied to another row does not decrypt there.
"""

import json
import os
from pathlib import Path
from typing import Any
from uuid import UUID

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from kasa_integrations.settings import IntegrationsSettings


class CredentialsError(Exception):
    """Stored credentials cannot be decrypted with the configured keys."""


class CredentialVault:
    def __init__(self, keys: list[str]) -> None:
        if not keys:
            raise ValueError("at least one credentials key is required")
        try:
            self._fernet = MultiFernet([Fernet(k.encode()) for k in keys])
        except ValueError as exc:
            raise ValueError("a credentials key is not a valid Fernet key") from exc

    def encrypt(self, workspace_id: UUID, plugin: str, values: dict[str, Any]) -> str:
        plain = json.dumps({"w": str(workspace_id), "p": plugin, "v": values})
        return self._fernet.encrypt(plain.encode()).decode()

    def decrypt(self, workspace_id: UUID, plugin: str, token: str) -> dict[str, Any]:
        try:
            data = json.loads(self._fernet.decrypt(token.encode()))
        except InvalidToken:
            raise CredentialsError("stored credentials cannot be decrypted") from None
        if data.get("w") != str(workspace_id) or data.get("p") != plugin:
            raise CredentialsError("stored credentials belong to another configuration")
        values: dict[str, Any] = data["v"]
        return values

    def rotate(self, token: str) -> str:
        try:
            return self._fernet.rotate(token.encode()).decode()
        except InvalidToken:
            raise CredentialsError("stored credentials cannot be decrypted") from None


def load_keys(configured: str, key_file: Path, *, generate: bool) -> list[str]:
    """The configured keys, else (outside production) the key file, created on first use."""
    keys = [k.strip() for k in configured.split(",") if k.strip()]
    if keys:
        return keys
    if key_file.exists():
        return [k.strip() for k in key_file.read_text().splitlines() if k.strip()]
    if not generate:
        raise ValueError("no credentials keys are configured")
    key_file.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write(Fernet.generate_key().decode() + "\n")
    return [k.strip() for k in key_file.read_text().splitlines() if k.strip()]


def vault_for(settings: IntegrationsSettings) -> CredentialVault:
    """The service's vault: keys from the settings (outside production, a generated file)."""
    keys = load_keys(
        settings.credentials_keys,
        settings.credentials_key_file,
        generate=settings.env != "production",
    )
    return CredentialVault(keys)
