"""Bank text cut to the width of the column it is booked in. Pure.

A bank (or a plugin) may report a counterparty or a reference longer than the ledger's
columns. PostgreSQL refuses such a value, and a refused movement would be parked: silently
missing from the books. So the ledger books the text cut to fit, ending in ``MARKER`` so a
reader sees it was cut, and keeps the whole value in the transaction's ``raw_data``.
"""

import hashlib
from collections.abc import Mapping
from typing import Any

MARKER = "…"
"""Ends a cut text."""

TRANSACTION_TEXT = {
    "counterparty": 300,
    "counterparty_account": 100,
    "reference": 200,
    "account_ref": 100,
}
"""The bounded text columns of an imported transaction and their widths (``db/tables.py``)."""

EXTERNAL_ID_WIDTH = 200
UNTRUNCATED = "untruncated"
"""The ``raw_data`` key that keeps each cut value whole, by its name in the bank event (as the
integrations' plugins keep the texts they cut)."""

_EVENT_NAMES = {"counterparty": "counterparty_name", "account_ref": "account"}


def truncated(value: str | None, width: int) -> str | None:
    """``value`` if it fits ``width`` characters, else its start and ``MARKER`` in ``width``."""
    if value is None or len(value) <= width:
        return value
    return value[: width - len(MARKER)] + MARKER


def bounded_key(value: str, width: int) -> str:
    """A key of at most ``width`` characters that stays unique: one too long is cut and ends
    in ``~`` and a digest of the whole value, so two long keys never become the same."""
    if len(value) <= width:
        return value
    digest = hashlib.sha256(value.encode()).hexdigest()[:32]
    return f"{value[: width - len(digest) - 1]}~{digest}"


def fitted(row: Mapping[str, Any], widths: Mapping[str, int]) -> dict[str, Any]:
    """``row`` with each text of ``widths`` cut to fit, and the cut ones kept whole in
    ``raw_data["untruncated"]`` (a whole text a plugin already kept there stays)."""
    fitted_row = dict(row)
    whole: dict[str, str] = {}
    for name, width in widths.items():
        value = row.get(name)
        cut = truncated(value, width)
        if cut != value and value is not None:
            whole[_EVENT_NAMES.get(name, name)] = value
            fitted_row[name] = cut
    if whole:
        raw = dict(row.get("raw_data") or {})
        kept = raw.get(UNTRUNCATED)
        raw[UNTRUNCATED] = {**whole, **kept} if isinstance(kept, dict) else whole
        fitted_row["raw_data"] = raw
    return fitted_row
