"""Keeps access tokens passed in a WebSocket URL (``?token=``) out of the logs.

The server logs each WebSocket handshake with its full path, query string included.
"""

import re

from kasa_servicekit.logs import redact_logs

_TOKEN = re.compile(r"((?:^|[?&])(?:token|access_token)=)[^&\s\"]+")


def redact(text: str) -> str:
    """``text`` with the value of every ``token=`` query parameter masked."""
    return _TOKEN.sub(r"\1[redacted]", text)


def install() -> None:
    """Mask socket tokens in every log record of the process."""
    redact_logs(redact)
