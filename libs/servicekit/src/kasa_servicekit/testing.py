"""Test helpers for services: a real SQLite database with the service's tables."""

import json
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi.testclient import TestClient
from sqlalchemy import MetaData, select

from kasa_contracts import Envelope, parse_envelope
from kasa_servicekit.auth import JwksVerifier
from kasa_servicekit.db import Database
from kasa_servicekit.migrations import upgrade
from kasa_servicekit.service import ServiceSpec, create_app
from kasa_servicekit.tables import kit_metadata, outbox


@asynccontextmanager
async def sqlite_database(directory: Path, metadata: MetaData) -> AsyncIterator[Database]:
    """A fresh SQLite database holding ``metadata`` plus the outbox and inbox."""
    database = Database(f"sqlite+aiosqlite:///{directory}/service.db")
    async with database.engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
        await conn.run_sync(kit_metadata.create_all)
    try:
        yield database
    finally:
        await database.dispose()


async def outbox_events(db: Database, routing_key: str | None = None) -> list[Envelope[Any]]:
    """The events a service has written to its outbox, oldest first."""
    stmt = select(outbox.c.body, outbox.c.routing_key).order_by(outbox.c.id)
    async with db.sessions() as session:
        rows = (await session.execute(stmt)).all()
    return [parse_envelope(r.body) for r in rows if routing_key in (None, r.routing_key)]


class TokenIssuer:
    """Signs gateway-style access tokens for a service under test.

    ``install(app)`` makes the app trust this issuer's key, as it would trust the gateway's
    JWKS; ``token(workspace_id)`` returns a bearer token for a member of that workspace.
    """

    def __init__(self, issuer: str = "kasa-gateway", audience: str = "kasa") -> None:
        self.issuer = issuer
        self.audience = audience
        self._key = Ed25519PrivateKey.generate()
        self.kid = "test-key"

    def public_jwk(self) -> dict[str, Any]:
        """The issuer's public key as the gateway's JWKS lists it."""
        public: dict[str, Any] = json.loads(
            jwt.algorithms.OKPAlgorithm.to_jwk(self._key.public_key())
        )
        return public | {"kid": self.kid, "alg": "EdDSA", "use": "sig"}

    def install(self, app: Any) -> None:
        app.state.verifier = JwksVerifier.with_keys([self.public_jwk()], self.issuer, self.audience)

    def token(
        self,
        workspace_id: Any,
        *,
        role: str = "owner",
        user_id: Any = None,
        name: str | None = "Test User",
        session_id: Any = None,
        email_verified: bool = True,
    ) -> str:
        now = int(time.time())
        claims = {
            "iss": self.issuer,
            "aud": self.audience,
            "sub": str(user_id or uuid.uuid4()),
            "wid": str(workspace_id),
            "role": role,
            "name": name,
            "sid": str(session_id or uuid.uuid4()),
            "jti": uuid.uuid4().hex,
            "iat": now,
            "exp": now + 900,
            "email_verified": email_verified,
        }
        return jwt.encode(claims, self._key, algorithm="EdDSA", headers={"kid": self.kid})

    def headers(self, workspace_id: Any, **kwargs: Any) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token(workspace_id, **kwargs)}"}


@dataclass(frozen=True)
class Served:
    """A service's app under test: its client, the issuer its tokens trust, its database."""

    client: TestClient
    issuer: TokenIssuer
    db_path: Path
    url: str


@contextmanager
def served(
    build: Callable[[], ServiceSpec],
    directory: Path,
    monkeypatch: Any,
    *,
    env: Mapping[str, str] | None = None,
    raise_server_exceptions: bool = True,
) -> Iterator[Served]:
    """Run the service that ``build`` makes on a migrated SQLite file in ``directory``, with
    neither relay nor consumers (no broker), ``env`` set through pytest's ``monkeypatch``
    and tokens from a ``TokenIssuer`` of the test's own."""
    db_path = directory / f"{build.__module__.split('.')[0].removeprefix('kasa_')}.db"
    url = f"sqlite+aiosqlite:///{db_path}"
    settings = {
        "DATABASE_URL": url,
        "AMQP_URL": "amqp://guest:guest@127.0.0.1:1/",  # never reached: nothing publishes
        "RUN_OUTBOX_RELAY": "false",
        "RUN_CONSUMERS": "false",
        **(env or {}),
    }
    for name, value in settings.items():
        monkeypatch.setenv(name, value)
    spec = build()
    upgrade(spec.migrations, url)
    app = create_app(spec)
    issuer = TokenIssuer()
    issuer.install(app)
    with TestClient(app, raise_server_exceptions=raise_server_exceptions) as client:
        yield Served(client, issuer, db_path, url)
