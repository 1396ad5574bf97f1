"""Keeps client-portal tokens out of invoicing's logs.

A portal URL is ``/portal/<token>``: whoever reads the token opens the invoice, and request and
error lines (``unhandled error on GET /portal/…``) name the path. The filter rewrites every
record before any handler formats it, tracebacks included (the kit's ``redact_logs``).
"""

import re

from kasa_servicekit.logs import redact_logs

_PORTAL_TOKEN = re.compile(r"(/portal/)[^/\s?#\"'<>]+")
MASK = "[redacted]"


def redact(text: str) -> str:
    """``text`` with the token of every portal path in it masked."""
    return _PORTAL_TOKEN.sub(rf"\g<1>{MASK}", text)


def install() -> None:
    """Mask portal tokens in every log record of the process."""
    redact_logs(redact)
