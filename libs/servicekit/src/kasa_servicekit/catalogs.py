"""Gettext catalogs read from ``.po`` files through Babel and compiled in memory.

The web's pages and every service's mail use the same catalogs format: one ``.po`` file per
feature under ``<folder>/<lang>/LC_MESSAGES/``, English being the source language.
"""

import io
from pathlib import Path

from babel.messages import mofile, pofile
from babel.support import NullTranslations, Translations


def compile_catalogs(folder: Path, locale: str) -> NullTranslations:
    """Every catalog of ``locale`` under ``folder`` merged into one; English needs none."""
    merged: NullTranslations = NullTranslations()
    catalogs = folder / locale / "LC_MESSAGES"
    for path in sorted(catalogs.glob("*.po")) if catalogs.is_dir() else []:
        with path.open("rb") as source:
            catalog = pofile.read_po(source, locale=locale)
        compiled = io.BytesIO()
        mofile.write_mo(compiled, catalog)
        compiled.seek(0)
        part = Translations(compiled)
        if isinstance(merged, Translations):
            merged.merge(part)
        else:
            merged = part
    return merged
