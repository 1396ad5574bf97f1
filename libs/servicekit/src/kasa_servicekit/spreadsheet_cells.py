"""CSV cells that no spreadsheet runs as a formula, for every CSV export Kasa serves.

CSV files are opened in spreadsheets, and exports hold text other people chose (a display
name, a plugin's name, a counterparty, a category), so no text cell may start a formula: one
starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return (after any spaces) gets a
leading ``'``. A text cell that is a plain decimal number (``-1200.50``) is left as it is: a
spreadsheet reads it as that number, never as a formula. Numbers pass unchanged.
"""

import re

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"-?\d+(\.\d+)?")


def neutralized(value: object) -> object:
    """A cell value no spreadsheet runs as a formula (see the module's docstring)."""
    # Leading spaces too: some spreadsheets skip them before reading a formula.
    if not isinstance(value, str) or not value.lstrip(" ").startswith(_FORMULA_START):
        return value
    if _PLAIN_NUMBER.fullmatch(value):
        return value
    return "'" + value
