"""Request bodies as the values use cases take."""

from typing import Any

from pydantic import BaseModel


def values(body: BaseModel, *, only_set: bool = False) -> dict[str, Any]:
    """A body's fields as Python values (``model_dump`` would turn decimals to text).

    ``only_set``: just the fields the caller sent, for a change that keeps the others.
    """
    names = body.model_fields_set if only_set else type(body).model_fields
    return {name: getattr(body, name) for name in names}
