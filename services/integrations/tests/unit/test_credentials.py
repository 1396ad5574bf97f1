"""Credential encryption at rest: keys, rotation, and binding to the configuration row."""

import stat
from uuid import uuid4

import pytest
from cryptography.fernet import Fernet

from kasa_integrations.security.credentials import CredentialsError, CredentialVault, load_keys


def test_a_vault_reads_what_it_wrote_and_nothing_moved_elsewhere():
    vault = CredentialVault([Fernet.generate_key().decode()])
    workspace = uuid4()
    token = vault.encrypt(workspace, "fio", {"token": "secret-value"})
    assert "secret-value" not in token
    assert vault.decrypt(workspace, "fio", token) == {"token": "secret-value"}
    with pytest.raises(CredentialsError):
        vault.decrypt(uuid4(), "fio", token)  # copied to another workspace's row
    with pytest.raises(CredentialsError):
        vault.decrypt(workspace, "demo", token)
    with pytest.raises(CredentialsError):
        CredentialVault([Fernet.generate_key().decode()]).decrypt(workspace, "fio", token)


def test_old_keys_still_read_and_rotation_moves_to_the_newest():
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    workspace = uuid4()
    written = CredentialVault([old]).encrypt(workspace, "fio", {"token": "t0k3n"})
    both = CredentialVault([new, old])
    assert both.decrypt(workspace, "fio", written) == {"token": "t0k3n"}
    rotated = both.rotate(written)
    assert CredentialVault([new]).decrypt(workspace, "fio", rotated) == {"token": "t0k3n"}


def test_keys_come_from_the_setting_else_a_generated_private_file(tmp_path):
    configured = f"{Fernet.generate_key().decode()}, {Fernet.generate_key().decode()}"
    assert len(load_keys(configured, tmp_path / "unused", generate=True)) == 2
    key_file = tmp_path / "keys" / "credentials-keys"
    with pytest.raises(ValueError, match="no credentials keys"):
        load_keys("", key_file, generate=False)
    generated = load_keys("", key_file, generate=True)
    assert len(generated) == 1 and Fernet(generated[0].encode())
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert load_keys("", key_file, generate=True) == generated, "the same key on every start"
    with pytest.raises(ValueError, match="not a valid Fernet key"):
        CredentialVault(["not-a-key"])
