"""Before/after changes that events carry, so audit can show who changed what."""

from collections.abc import Iterable, Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict


class FieldChange(BaseModel):
    """One field's value before and after a change. Secret fields are named, never shown."""

    model_config = ConfigDict(frozen=True)

    before: Any = None
    after: Any = None
    redacted: bool = False


def diff(
    before: Mapping[str, Any] | None,
    after: Mapping[str, Any] | None,
    *,
    secret: Iterable[str] = (),
) -> dict[str, FieldChange]:
    """The fields that differ between two snapshots (``None`` for a create or a delete).

    Values must already be JSON-friendly (strings for decimals, ISO dates).
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
