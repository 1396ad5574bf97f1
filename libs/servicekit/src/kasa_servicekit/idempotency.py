"""``Idempotency-Key`` for POSTs that create money records.

The first response to a key is stored in the same transaction as the records it created. The
same key with the same body gets that response again; the same key with another body is a 422.
A service that uses this includes ``idempotency_metadata`` in its migrations.
"""

import hashlib
import json
from dataclasses import dataclass
from typing import Annotated, Any
from uuid import UUID

from fastapi import Header
from fastapi.responses import JSONResponse
from sqlalchemy import Column, Integer, MetaData, String, Table, Text, Uuid, select
from sqlalchemy.ext.asyncio import AsyncSession

from kasa_servicekit.db import UtcDateTime, insert_if_absent, utcnow
from kasa_servicekit.problems import ProblemError

idempotency_metadata = MetaData()

idempotency_keys = Table(
    "idempotency_keys",
    idempotency_metadata,
    Column("workspace_id", Uuid, primary_key=True),
    Column("scope", String(200), primary_key=True, comment="method and route"),
    Column("key", String(200), primary_key=True),
    Column("request_hash", String(64), nullable=False),
    Column("status_code", Integer, nullable=False),
    Column("response_body", Text, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
)

IdempotencyKey = Annotated[
    str | None,
    Header(alias="Idempotency-Key", max_length=200, description="Makes a retried POST safe"),
]


def request_hash(body: Any) -> str:
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


@dataclass(frozen=True)
class StoredResponse:
    status_code: int
    body: Any


async def replay(
    session: AsyncSession, workspace_id: UUID, scope: str, key: str | None, body_hash: str
) -> StoredResponse | None:
    """The stored response for this key, or None when the key is new (or absent)."""
    if not key:
        return None
    row = (
        await session.execute(
            select(idempotency_keys).where(
                idempotency_keys.c.workspace_id == workspace_id,
                idempotency_keys.c.scope == scope,
                idempotency_keys.c.key == key,
            )
        )
    ).one_or_none()
    if row is None:
        return None
    if row.request_hash != body_hash:
        raise ProblemError(
            422,
            "Unprocessable Content",
            "this Idempotency-Key was already used with a different request body",
        )
    return StoredResponse(row.status_code, json.loads(row.response_body))


async def remember(
    session: AsyncSession,
    workspace_id: UUID,
    scope: str,
    key: str | None,
    body_hash: str,
    status_code: int,
    response: Any,
) -> None:
    """Store the response in the caller's transaction; a concurrent twin makes it a 409."""
    if not key:
        return
    stored = await insert_if_absent(
        session,
        idempotency_keys,
        {
            "workspace_id": workspace_id,
            "scope": scope,
            "key": key,
            "request_hash": body_hash,
            "status_code": status_code,
            "response_body": json.dumps(response, default=str),
            "created_at": utcnow(),
        },
        ["workspace_id", "scope", "key"],
    )
    if not stored:
        # Another request with this key committed first; ours must not create anything.
        raise ProblemError(409, "Conflict", "a request with this Idempotency-Key is in progress")


@dataclass(frozen=True)
class Once:
    """One ``Idempotency-Key`` POST: replay its stored response, or store the first one.

    ::

        once = Once.of(principal.workspace_id, "POST /api/v1/accounts", key, body_json)
        async with db.transaction() as session:
            if (replayed := await once.replayed(session)) is not None:
                return replayed
            ...  # the change
            return await once.remember(session, out_json)
    """

    workspace_id: UUID
    scope: str
    key: str | None
    body_hash: str

    @classmethod
    def of(cls, workspace_id: UUID, scope: str, key: str | None, body: Any) -> "Once":
        """For a request body in its JSON form (``model_dump(mode="json")``)."""
        return cls(workspace_id, scope, key, request_hash(body))

    async def replayed(self, session: AsyncSession) -> JSONResponse | None:
        """The response stored for this key, or None when the request is new."""
        stored = await replay(session, self.workspace_id, self.scope, self.key, self.body_hash)
        return None if stored is None else JSONResponse(stored.body, stored.status_code)

    async def remember(
        self, session: AsyncSession, response: Any, status_code: int = 201
    ) -> JSONResponse:
        """Store the JSON-ready ``response`` in the caller's transaction and return it."""
        await remember(
            session,
            self.workspace_id,
            self.scope,
            self.key,
            self.body_hash,
            status_code,
            response,
        )
        return JSONResponse(response, status_code)
