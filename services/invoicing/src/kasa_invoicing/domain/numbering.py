"""Invoice numbers from the workspace's format, and the variable symbol derived from them."""

import re
import string

DEFAULT_FORMAT = "{year}-{seq:04d}"
_FIELDS = {"year", "yy", "seq"}


def check_format(number_format: str) -> None:
    """Raise ``ValueError`` unless the format uses only ``{year}``, ``{yy}`` and ``{seq}``.

    ``{seq}`` is mandatory (without it two invoices of a year would share a number) and may
    carry a zero-padding spec such as ``{seq:04d}``.
    """
    try:
        fields = [f for _, f, _, _ in string.Formatter().parse(number_format) if f is not None]
    except ValueError as exc:
        raise ValueError(f"invalid number format: {exc}") from exc
    if "seq" not in fields:
        raise ValueError("the number format must contain {seq}")
    unknown = set(fields) - _FIELDS
    if unknown:
        raise ValueError(f"unknown fields in the number format: {sorted(unknown)}")
    format_number(number_format, 2026, 1)


def format_number(number_format: str, year: int, seq: int) -> str:
    """``"{year}-{seq:04d}"``, 2026, 7 → ``"2026-0007"``."""
    return number_format.format(year=year, yy=f"{year % 100:02d}", seq=seq)


def variable_symbol(number: str) -> str | None:
    """The digits of the number, at most 10 (the last ones, which hold the sequence).

    ``"2026-0007"`` → ``"20260007"``; a number without digits has no variable symbol.
    """
    digits = re.sub(r"\D", "", number)
    return digits[-10:] or None
