"""A client's address, vouched for by the gateway, for the web application to hand back.

A person signs in through a page: the browser posts to the web application (through the
gateway), and the web calls ``/api/v1/auth/session`` itself. That call comes from the web's
own address, which every person shares; limits keyed on it would let one attacker make
everybody wait. So the gateway sends each page request on with the client's address and a
MAC over it (``X-Kasa-Client-Address: <address> <expires> <mac>``), and the web returns the
header unchanged on the sign-in and registration calls it makes for that request. The MAC key
is derived from the token signing key, which every gateway instance shares; nothing outside
the gateway can mint a valid header, and one it minted is good for a minute only.
"""

import hashlib
import hmac
import time

from cryptography.hazmat.primitives import serialization

from kasa_gateway.tokens.signing_keys import KeyRing

HEADER = "x-kasa-client-address"
LIFETIME_SECONDS = 60


class ClientAddresses:
    """Mints and checks the vouched-for addresses of one key ring."""

    def __init__(self, keys: KeyRing) -> None:
        raw = keys.current.private_key.private_bytes(
            serialization.Encoding.Raw,
            serialization.PrivateFormat.Raw,
            serialization.NoEncryption(),
        )
        # A key of its own, so a MAC here can never be mistaken for any other use of the key.
        self._key = hashlib.sha256(b"kasa-client-address:" + raw).digest()

    def _mac(self, address: str, expires: int) -> str:
        return hmac.new(self._key, f"{address} {expires}".encode(), hashlib.sha256).hexdigest()

    def vouch(self, address: str, now: float | None = None) -> str:
        expires = int((time.time() if now is None else now) + LIFETIME_SECONDS)
        return f"{address} {expires} {self._mac(address, expires)}"

    def vouched(self, value: str | None, now: float | None = None) -> str | None:
        """The address in a header this gateway minted and that has not expired, else None."""
        parts = (value or "").split(" ")
        if len(parts) != 3 or not parts[1].isdigit():
            return None
        address, expires, mac = parts[0], int(parts[1]), parts[2]
        if expires < (time.time() if now is None else now):
            return None
        return address if hmac.compare_digest(self._mac(address, expires), mac) else None
