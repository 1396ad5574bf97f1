"""The ``Content-Disposition`` of a download, safe whatever text its file name holds.

Invoice numbers and client names come from people (and numbers stored before formats were
restricted may hold anything), so the name is never pasted into the header as it is. The
header carries it twice (RFC 6266, RFC 8187/5987): ``filename*=UTF-8''…`` percent-encoded, so
every character survives and none can end the parameter, and a plain ``filename="…"`` of safe
ASCII for clients that do not read ``filename*``.
"""

import re
import unicodedata
from typing import Literal
from urllib.parse import quote

MAX_NAME = 120
"""Characters of the name kept before the extension; a longer stored number is cut."""

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
# RFC 8187 attr-char: ALPHA / DIGIT / "!" / "#" / "$" / "&" / "+" / "-" / "." / "^" / "_" / "`"
# / "|" / "~". Anything else is percent-encoded.
_ATTR_CHARS = "!#$&+-.^_`|~"


def _bounded(filename: str) -> str:
    stem, dot, extension = filename.rpartition(".")
    if not dot or len(extension) > 8:
        stem, extension = filename, ""
    stem = "".join(c for c in stem if unicodedata.category(c)[0] != "C")[:MAX_NAME]
    return f"{stem}.{extension}" if extension else stem


def ascii_fallback(filename: str) -> str:
    """``filename`` in safe ASCII: accents dropped (č → c), anything else unsafe as ``_``."""
    decomposed = unicodedata.normalize("NFKD", filename)
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    safe = _UNSAFE.sub("_", plain.encode("ascii", "ignore").decode()).strip("._") or "download"
    return safe


def content_disposition(kind: Literal["inline", "attachment"], filename: str) -> str:
    """The header value for a download named ``filename``: Latin-1 safe and one parameter each."""
    name = _bounded(filename)
    return f"{kind}; filename=\"{ascii_fallback(name)}\"; filename*=UTF-8''" + quote(
        name, safe=_ATTR_CHARS
    )
