"""Every message the web shows has its Czech translation, and catalogs compile."""

from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from kasa_web import i18n

PACKAGE = Path(i18n.__file__).resolve().parent
KEYWORDS = {"_": None, "gettext": None, "_gettext": None, "ngettext": (1, 2), "N_": None}


def shown_messages() -> set[str]:
    found: set[str] = set()
    method_map = [("**/templates/**.html", "jinja2.ext:babel_extract"), ("**.py", "python")]
    options = {"**/templates/**.html": {"extensions": "jinja2.ext.i18n", "newstyle_gettext": "1"}}
    for _file, _line, message, _comments, _context in extract_from_dir(
        PACKAGE, method_map, options, keywords=KEYWORDS
    ):
        for text in message if isinstance(message, tuple) else (message,):
            if text:
                found.add(text)
    return found


def czech_messages() -> dict[str, object]:
    translated: dict[str, object] = {}
    for path in sorted((PACKAGE / "locale" / "cs" / "LC_MESSAGES").glob("*.po")):
        with path.open("rb") as source:
            for message in read_po(source, locale="cs"):
                if not message.id:
                    continue
                ids = message.id if isinstance(message.id, tuple) else (message.id,)
                strings = message.string if isinstance(message.string, tuple) else (message.string,)
                if all(strings):
                    for text in ids:
                        translated[text] = strings
    return translated


def test_every_message_the_pages_show_is_translated_to_czech() -> None:
    missing = sorted(shown_messages() - set(czech_messages()))
    assert not missing, "no Czech translation for:\n" + "\n".join(missing)


def test_a_czech_page_speaks_czech_and_formats_money_and_dates_the_czech_way() -> None:
    czech = i18n.translations("cs")
    assert czech.gettext("Dashboard") == "Přehled"
    assert i18n.money("1234.5", "CZK", "cs") == "1\xa0234,50\xa0Kč"
    assert i18n.money("1234.5", "EUR", "en") == "€1,234.50"
    assert i18n.day("2026-03-02", "cs") == "2. 3. 2026"
    assert i18n.day("2026-03-02", "en") == "2 Mar 2026" or i18n.day("2026-03-02", "en") == (
        "Mar 2, 2026"
    )


def test_every_template_compiles() -> None:
    # Message extraction skips a template it cannot parse, so parse them all here.
    from kasa_web.rendering import env

    names = env.list_templates(extensions=["html"])
    assert "base.html" in names
    for name in names:
        env.get_template(name)
