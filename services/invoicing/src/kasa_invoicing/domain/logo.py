"""Which logo addresses a supplier profile accepts: plain ``https:`` URLs, nothing else.

The address is shown to browsers (the profile, issued invoices) and is never fetched by Kasa's
servers, so it must not be able to run script (``javascript:``, ``data:``), read the
server's files (``file:``), carry credentials, or hide its host behind tricks browsers and
parsers read differently (backslashes, control characters, spaces).
"""

from urllib.parse import urlsplit

MAX_LENGTH = 500
"""The column's width."""


def check_logo_url(value: str) -> str:
    """``value`` as stored (trimmed, scheme in lower case); ``ValueError`` saying why not."""
    url = value.strip()
    if len(url) > MAX_LENGTH:
        raise ValueError(f"the logo address is longer than {MAX_LENGTH} characters")
    if any(c.isspace() or not c.isprintable() or c == "\\" for c in url):
        raise ValueError("the logo address may not hold spaces, backslashes or control characters")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise ValueError("the logo address is not a valid URL") from exc
    if parts.scheme.lower() != "https":
        raise ValueError("the logo address must be an https:// URL")
    if "@" in parts.netloc or parts.username is not None or parts.password is not None:
        raise ValueError("the logo address may not contain a user name or password")
    if not parts.hostname or port == 0:
        raise ValueError("the logo address needs a host name")
    return "https" + url[len(parts.scheme) :]


def is_safe_logo_url(value: str | None) -> bool:
    """Whether a stored address may be shown; one stored before these checks may not be."""
    if value is None:
        return True
    try:
        check_logo_url(value)
    except ValueError:
        return False
    return True
