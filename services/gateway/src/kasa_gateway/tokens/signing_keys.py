"""The gateway's token signing keys (Ed25519) and the JWKS that publishes their public halves.

Rotation: the current key signs; previous keys are only published, so tokens they signed stay
valid until they expire. To rotate, point ``JWT_SIGNING_KEY_FILE`` at a new key and list the old
file in ``JWT_PREVIOUS_KEY_FILES``; drop it from that list once the access-token lifetime has
passed.
"""

import base64
import hashlib
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


@dataclass(frozen=True)
class SigningKey:
    private_key: Ed25519PrivateKey
    kid: str

    @property
    def public_jwk(self) -> dict[str, Any]:
        raw = self.private_key.public_key().public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw
        )
        return {
            "kty": "OKP",
            "crv": "Ed25519",
            "x": _b64(raw),
            "kid": self.kid,
            "alg": "EdDSA",
            "use": "sig",
        }

    def sign(self, claims: dict[str, Any]) -> str:
        return jwt.encode(claims, self.private_key, algorithm="EdDSA", headers={"kid": self.kid})


@dataclass(frozen=True)
class KeyRing:
    """The key that signs new tokens and every key whose tokens may still be in use."""

    current: SigningKey
    previous: tuple[SigningKey, ...] = ()

    @property
    def jwks(self) -> list[dict[str, Any]]:
        seen: set[str] = set()
        keys = []
        for key in (self.current, *self.previous):
            if key.kid not in seen:
                seen.add(key.kid)
                keys.append(key.public_jwk)
        return keys

    def sign(self, claims: dict[str, Any]) -> str:
        return self.current.sign(claims)


def load_key_ring(current: Path, previous: Sequence[Path], *, create: bool) -> KeyRing:
    return KeyRing(
        load_or_create(current, create=create),
        tuple(load_or_create(p, create=False) for p in previous),
    )


def load_or_create(path: Path, *, create: bool) -> SigningKey:
    """Load the PEM key at ``path``; in development, create it on first start."""
    if not path.exists():
        if not create:
            raise FileNotFoundError(f"signing key {path} does not exist")
        path.parent.mkdir(parents=True, exist_ok=True)
        pem = Ed25519PrivateKey.generate().private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(pem)
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError(f"{path} is not an Ed25519 private key")
    public = key.public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw
    )
    return SigningKey(key, kid=hashlib.sha256(public).hexdigest()[:16])
