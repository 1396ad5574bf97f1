"""Keeps client-portal tokens out of invoicing's logs.

A portal URL is ``/portal/<token>``: whoever reads the token opens the invoice, and request and
error lines (``unhandled error on GET /portal/…``) name the path. The filter rewrites every
record before any handler formats it, tracebacks included.
"""

import logging
import re

_PORTAL_TOKEN = re.compile(r"(/portal/)[^/\s?#\"'<>]+")
MASK = "[redacted]"


def redact(text: str) -> str:
    """``text`` with the token of every portal path in it masked."""
    return _PORTAL_TOKEN.sub(rf"\g<1>{MASK}", text)


class RedactPortalTokens(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        if record.exc_info and record.exc_info[1] is not None:
            # Formatting the traceback later would bring the token back.
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
            record.exc_info = None
        elif record.exc_text:
            record.exc_text = redact(record.exc_text)
        return True


def install() -> None:
    """Attach the filter to every handler of the root logger (once)."""
    for handler in logging.getLogger().handlers:
        if not any(isinstance(f, RedactPortalTokens) for f in handler.filters):
            handler.addFilter(RedactPortalTokens())
