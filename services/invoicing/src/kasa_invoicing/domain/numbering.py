"""Invoice numbers from the workspace's format, and the variable symbol derived from them.

A format is literal text with three fields: ``{year}`` (2026), ``{yy}`` (26) and ``{seq}``,
the sequence of the year, optionally zero-padded as ``{seq:04d}``. The format is parsed with
this module's own grammar and rendered by its own code: it is user input, and Python's
``str.format`` would let a spec such as ``{seq:>999999999}`` allocate a gigabyte.
"""

import re
from dataclasses import dataclass

DEFAULT_FORMAT = "{year}-{seq:04d}"
MAX_LENGTH = 64
"""The invoice number column's width; the largest possible number must fit it."""
MAX_SEQUENCE = 2**31 - 1
"""The per-year counter is a 32-bit integer column."""
MAX_PADDING = 10
"""Enough for every 32-bit sequence; wider padding would only add zeros."""

_LITERAL = re.compile(r"[A-Za-z0-9/._-]+")
_FIELD = re.compile(r"\{(year|yy|seq)(?::(0?)([1-9][0-9]?)d?)?\}")


@dataclass(frozen=True)
class _Field:
    name: str
    width: int = 0


_Part = str | _Field


def parse_format(number_format: str) -> tuple[_Part, ...]:
    """The literal and field parts of a format; ``ValueError`` says what is wrong with it."""
    if len(number_format) > MAX_LENGTH:
        raise ValueError(f"the number format is longer than {MAX_LENGTH} characters")
    parts: list[_Part] = []
    position = 0
    while position < len(number_format):
        if literal := _LITERAL.match(number_format, position):
            parts.append(literal.group())
            position = literal.end()
            continue
        field = _FIELD.match(number_format, position)
        if field is None:
            if number_format[position] == "{":
                raise ValueError("the number format may use only {year}, {yy}, {seq} and {seq:0Nd}")
            raise ValueError(
                "the number format may contain only letters, digits, '-', '/', '.' and '_'"
                " besides its fields"
            )
        name, zero, width = field.groups()
        if width is not None and (name != "seq" or zero != "0"):
            raise ValueError("only {seq} takes a width, written as {seq:04d}")
        padding = int(width) if width else 0
        if padding > MAX_PADDING:
            raise ValueError(f"{{seq}} may be padded to at most {MAX_PADDING} digits")
        parts.append(_Field(name, padding))
        position = field.end()
    return tuple(parts)


def check_format(number_format: str) -> None:
    """Raise ``ValueError`` unless the format is valid, has ``{seq}`` and always fits.

    ``{seq}`` is mandatory (without it two invoices of a year would share a number).
    """
    parts = parse_format(number_format)
    if not any(isinstance(part, _Field) and part.name == "seq" for part in parts):
        raise ValueError("the number format must contain {seq}")
    if len(_render(parts, 9999, MAX_SEQUENCE)) > MAX_LENGTH:
        raise ValueError(f"numbers in this format could be longer than {MAX_LENGTH} characters")


def format_number(number_format: str, year: int, seq: int) -> str:
    """``"{year}-{seq:04d}"``, 2026, 7 → ``"2026-0007"``."""
    return _render(parse_format(number_format), year, seq)


def _render(parts: tuple[_Part, ...], year: int, seq: int) -> str:
    values = {"year": str(year), "yy": f"{year % 100:02d}"}
    out = []
    for part in parts:
        if isinstance(part, str):
            out.append(part)
        elif part.name == "seq":
            out.append(str(seq).zfill(part.width))
        else:
            out.append(values[part.name])
    return "".join(out)


def variable_symbol(number: str) -> str | None:
    """The digits of the number, at most 10 (the last ones, which hold the sequence).

    ``"2026-0007"`` → ``"20260007"``; a number without digits has no variable symbol.
    """
    digits = re.sub(r"\D", "", number)
    return digits[-10:] or None
