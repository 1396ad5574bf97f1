"""Mail is rendered in the recipient's language, links point at the public URL, nothing remote."""

from pathlib import Path

import pytest

from kasa_servicekit.mail_templates import MailTemplates, RemoteContentError

PO = """msgid ""
msgstr ""
"Content-Type: text/plain; charset=UTF-8\\n"

msgid "Reset your password"
msgstr "Obnovte si heslo"

msgid "Hello %(name)s,"
msgstr "Dobrý den, %(name)s,"
"""


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    (tmp_path / "reset.txt").write_text(
        "Subject: {{ _('Reset your password') }}\n{{ _('Hello %(name)s,', name=name) }}\n"
        "{{ link('/reset-password?token=' + token) }}\n"
    )
    (tmp_path / "reset.html").write_text(
        "<p>{{ _('Hello %(name)s,', name=name) }}</p>"
        "<a href=\"{{ link('/reset-password?token=' + token) }}\">go</a>\n"
    )
    (tmp_path / "tracking.txt").write_text("Subject: Hi\nHi\n")
    (tmp_path / "tracking.html").write_text('<img src="https://t.example/p.gif">\n')
    catalog = tmp_path / "locale" / "cs" / "LC_MESSAGES"
    catalog.mkdir(parents=True)
    (catalog / "mail.po").write_text(PO)
    return tmp_path


def test_a_mail_speaks_the_recipients_language_and_links_to_the_public_url(folder: Path) -> None:
    templates = MailTemplates(folder, "https://kasa.example.com/")
    czech = templates.render("reset", "cs", name="Jana <3", token="abc")
    assert czech.subject == "Obnovte si heslo"
    assert czech.text.startswith("Dobrý den, Jana <3,")
    assert "https://kasa.example.com/reset-password?token=abc" in czech.text
    # HTML is escaped; the text part is not.
    assert "Jana &lt;3" in czech.html
    assert 'href="https://kasa.example.com/reset-password?token=abc"' in czech.html
    english = templates.render("reset", "de", name="Jana", token="abc")
    assert english.subject == "Reset your password"


def test_an_html_mail_that_loads_anything_remote_is_refused(folder: Path) -> None:
    with pytest.raises(RemoteContentError):
        MailTemplates(folder, "https://kasa.example.com").render("tracking", "en")
