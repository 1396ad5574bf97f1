"""Before/after changes that events carry, so audit can show who changed what."""

from collections.abc import Iterable, Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from pydantic import BaseModel, ConfigDict


class FieldChange(BaseModel):
    """One field's value before and after a change. Secret fields are named, never shown."""

    model_config = ConfigDict(frozen=True)

    before: Any = None
    after: Any = None
    redacted: bool = False


def wire_value(value: Any) -> Any:
    """A stored value in the JSON form events carry it (see the event catalog).

    A decimal is written in fixed-point notation without trailing zeros
    (``Decimal("1500.50")`` → ``"1500.5"``, ``Decimal("100.0000")`` → ``"100"``, never
    ``"1E+2"``). PostgreSQL returns a column's full scale and SQLite the shortest form, so this
    is the one form that reads the same in audit's before and after whichever service and
    database produced it. Dates and times are ISO 8601, ids are strings, tuples become lists.
    """
    if isinstance(value, Decimal):
        # normalize() of zero keeps its sign and exponent ("-0E-4"); zero is just "0".
        return format(value.normalize(), "f") if value else "0"
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, UUID):
        return str(value)
    if isinstance(value, (list, tuple)):
        return [wire_value(item) for item in value]
    return value


def snapshot(row: Any, fields: Iterable[str]) -> dict[str, Any]:
    """The named attributes of a row as ``wire_value``s, for ``diff``."""
    return {name: wire_value(getattr(row, name)) for name in fields}


def diff(
    before: Mapping[str, Any] | None,
    after: Mapping[str, Any] | None,
    *,
    secret: Iterable[str] = (),
) -> dict[str, FieldChange]:
    """The fields that differ between two snapshots (``None`` for a create or a delete).

    Values must already be JSON-friendly: ``wire_value`` or ``snapshot`` make them so.
    """
    before, after = before or {}, after or {}
    hidden = set(secret)
    changes: dict[str, FieldChange] = {}
    for name in sorted(set(before) | set(after)):
        old, new = before.get(name), after.get(name)
        if old == new:
            continue
        changes[name] = (
            FieldChange(redacted=True) if name in hidden else FieldChange(before=old, after=new)
        )
    return changes
