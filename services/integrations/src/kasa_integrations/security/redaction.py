"""Keeps credential values out of logs, error messages, backtraces and sync history.

A running sync registers the decrypted credential values it holds; ``redact`` replaces them in
any text, and ``RedactingFilter`` does the same for every log record of the process (including
the HTTP client's own request lines, whose URLs can carry a token).
"""

import logging
import threading
from collections import Counter
from typing import Any

MASK = "[REDACTED]"
_MIN_LENGTH = 4

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


def redact(text: str, extra: list[str] | None = None) -> str:
    with _lock:
        values = list(_active)
    for value in sorted([*values, *(extra or [])], key=len, reverse=True):
        if len(value) >= _MIN_LENGTH:
            text = text.replace(value, MASK)
    return text


def redact_data(data: Any, extra: list[str] | None = None) -> Any:
    """``redact`` applied to every string in a JSON-like structure."""
    if isinstance(data, str):
        return redact(data, extra)
    if isinstance(data, dict):
        return {k: redact_data(v, extra) for k, v in data.items()}
    if isinstance(data, list):
        return [redact_data(v, extra) for v in data]
    return data


class RedactingFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if _active:
            message = record.getMessage()
            cleaned = redact(message)
            if cleaned != message:
                record.msg, record.args = cleaned, None
            if record.exc_info and record.exc_info[1] is not None:
                # Formatting the traceback later would bring the secret back.
                record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
                record.exc_info = None
        return True


def install() -> None:
    """Attach the filter to every handler of the root logger (once)."""
    for handler in logging.getLogger().handlers:
        if not any(isinstance(f, RedactingFilter) for f in handler.filters):
            handler.addFilter(RedactingFilter())
    # The HTTP client logs every request URL at INFO; provider URLs may carry tokens.
    logging.getLogger("httpx").setLevel(logging.WARNING)
