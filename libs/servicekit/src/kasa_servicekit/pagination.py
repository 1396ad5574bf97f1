"""Keyset (cursor) pagination: ``?limit=&cursor=`` → ``{"items": [...], "next_cursor": …}``."""

import base64
import json
from collections.abc import Callable, Sequence
from datetime import date, datetime
from typing import Annotated, Any, Generic, TypeVar
from uuid import UUID

from fastapi import Query
from pydantic import BaseModel
from sqlalchemy import Select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from kasa_contracts.changes import wire_value
from kasa_servicekit.problems import ProblemError

T = TypeVar("T")

Limit = Annotated[int, Query(ge=1, le=500, description="Page size")]
Cursor = Annotated[str | None, Query(description="`next_cursor` of the previous page")]


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None


def _encode(values: Sequence[Any]) -> str:
    raw = json.dumps([wire_value(v) for v in values]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode(cursor: str, kinds: Sequence[Callable[[Any], Any]]) -> list[Any]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        values = json.loads(raw)
        if not isinstance(values, list) or len(values) != len(kinds):
            raise ValueError("wrong shape")
        return [kind(v) for kind, v in zip(kinds, values, strict=True)]
    except (ValueError, TypeError) as exc:
        raise ProblemError(400, "Bad Request", "the cursor is not valid") from exc


def _kind_of(column: ColumnElement[Any]) -> Callable[[Any], Any]:
    python_type = column.type.python_type
    if python_type is UUID:
        return UUID
    if python_type is datetime:
        return datetime.fromisoformat
    if python_type is date:
        return date.fromisoformat
    return python_type


async def keyset_page(
    session: AsyncSession,
    stmt: Select[Any],
    order: Sequence[ColumnElement[Any]],
    *,
    limit: int,
    cursor: str | None,
    descending: bool = True,
) -> tuple[list[Any], str | None]:
    """One page of the entities ``stmt`` selects, ordered by ``order`` (last column unique)."""
    if cursor:
        values = _decode(cursor, [_kind_of(c) for c in order])
        key = tuple_(*order)
        stmt = stmt.where(key < tuple_(*values) if descending else key > tuple_(*values))
    ordering = [c.desc() if descending else c.asc() for c in order]
    rows = list((await session.scalars(stmt.order_by(*ordering).limit(limit + 1))).all())
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        last = rows[-1]
        next_cursor = _encode([getattr(last, str(c.key)) for c in order])
    return rows, next_cursor
