"""Keeps credential values out of logs, error messages, backtraces and sync history.

A running sync (or a request that holds submitted credentials) registers the credential values
it holds; ``redact`` replaces them in any text, and ``install`` does the same for every
log record of the process (including the HTTP client's own request lines, whose URLs can carry
a token).

A whole value is not the only way a secret shows: pydantic's validation errors echo an input
shortened to its first and last two dozen characters (``input_value='abc…xyz'``), and other
libraries cut values their own way. So any piece of a secret of at least ``FRAGMENT``
characters is masked too, in the value's plain form and in its Python ``repr`` form (which is
what pydantic echoes, with quotes and backslashes escaped).
"""

import logging
import threading
from collections import Counter
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from kasa_servicekit.logs import redact_logs

MASK = "[REDACTED]"
_MIN_LENGTH = 4
FRAGMENT = 8
"""The shortest piece of a secret that is masked on its own; shorter secrets are masked whole."""

_lock = threading.Lock()
_active: Counter[str] = Counter()


def secret_values(credentials: dict[str, Any]) -> list[str]:
    return [str(v) for v in credentials.values() if v is not None and len(str(v)) >= _MIN_LENGTH]


def register(values: list[str]) -> None:
    with _lock:
        _active.update(values)


def unregister(values: list[str]) -> None:
    with _lock:
        _active.subtract(values)
        for value in [v for v, n in _active.items() if n <= 0]:
            del _active[value]


@contextmanager
def holding(values: list[str]) -> Iterator[None]:
    """Redact ``values`` from every log record while the block runs."""
    register(values)
    try:
        yield
    finally:
        unregister(values)


def _forms(values: Iterable[str]) -> list[str]:
    """Each secret as it may be written: plain, and escaped as ``repr`` writes it."""
    forms: set[str] = set()
    for value in values:
        if len(value) < _MIN_LENGTH:
            continue
        forms.add(value)
        escaped = repr(value)[1:-1]
        if escaped != value:
            forms.add(escaped)
    return sorted(forms, key=len, reverse=True)


def _mask_fragments(text: str, secrets: list[str]) -> str:
    """Mask every run of ``text`` of ``FRAGMENT`` or more characters found inside a secret."""
    grams = {s[i : i + FRAGMENT] for s in secrets for i in range(len(s) - FRAGMENT + 1)}
    pieces: list[str] = []
    kept = i = 0
    while i <= len(text) - FRAGMENT:
        if text[i : i + FRAGMENT] not in grams:
            i += 1
            continue
        end = i + FRAGMENT
        while end < len(text) and any(text[i : end + 1] in s for s in secrets):
            end += 1
        pieces += [text[kept:i], MASK]
        kept = i = end
    if not pieces:
        return text
    pieces.append(text[kept:])
    return "".join(pieces)


def redact(text: str, extra: list[str] | None = None) -> str:
    with _lock:
        values = list(_active)
    secrets = _forms([*values, *(extra or [])])
    for value in secrets:
        text = text.replace(value, MASK)
    long = [s for s in secrets if len(s) > FRAGMENT]
    return _mask_fragments(text, long) if long else text


def redact_data(data: Any, extra: list[str] | None = None) -> Any:
    """``redact`` applied to every string in a JSON-like structure."""
    if isinstance(data, str):
        return redact(data, extra)
    if isinstance(data, dict):
        return {k: redact_data(v, extra) for k, v in data.items()}
    if isinstance(data, list):
        return [redact_data(v, extra) for v in data]
    return data


def redact_held(text: str) -> str:
    """``text`` with the credentials held now masked (``holding``)."""
    return redact(text) if _active else text


def install() -> None:
    """Mask the held credentials in every log record of the process."""
    redact_logs(redact_held)
    # The HTTP client logs every request URL at INFO; provider URLs may carry tokens.
    logging.getLogger("httpx").setLevel(logging.WARNING)
