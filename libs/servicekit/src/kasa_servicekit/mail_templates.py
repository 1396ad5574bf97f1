"""Mail as its recipient reads it: a subject, plain text and HTML, in their language.

A service keeps its mail in one folder: ``<name>.txt`` and ``<name>.html`` per message (the
text's first line is ``Subject: …``; the HTML may extend a layout), and their Czech in
``locale/cs/LC_MESSAGES/*.po`` (the web's catalogs format, see ``catalogs.py``). Links are
built with ``link(path)`` from the configured public URL, never from a request; an HTML body
that would load anything remote is refused, so no mail can track its reader.
"""

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from uuid import UUID

import jinja2
from babel.support import NullTranslations

from kasa_servicekit.catalogs import compile_catalogs
from kasa_servicekit.mail_outbox import Mail

LOCALES = ("en", "cs")
_REMOTE = re.compile(r"""(?:src|srcset|background)\s*=\s*["']?\s*(?:https?:)?//""", re.I)
_STYLE_URL = re.compile(r"url\(\s*['\"]?\s*(?:https?:)?//", re.I)


@dataclass(frozen=True)
class RenderedMail:
    subject: str
    text: str
    html: str

    def to(self, to: str, *, dedupe_key: str, kind: str, workspace_id: UUID | None) -> Mail:
        """The outbox's mail of this message to ``to`` (see ``Mail`` for the key and kind)."""
        return Mail(
            dedupe_key=dedupe_key,
            kind=kind,
            to=to,
            subject=self.subject,
            text=self.text,
            html=self.html,
            workspace_id=workspace_id,
        )


class RemoteContentError(ValueError):
    """An HTML mail referred to something remote (an image, a font, a stylesheet)."""


class MailTemplates:
    """The mail of one service, rendered in ``en`` or ``cs``."""

    def __init__(self, folder: Path, public_url: str) -> None:
        self.folder = folder
        self.public_url = public_url.rstrip("/")
        self._envs: dict[str, jinja2.Environment] = {}

    def _translations(self, locale: str) -> NullTranslations:
        return compile_catalogs(self.folder / "locale", locale)

    def _env(self, locale: str) -> jinja2.Environment:
        key = locale
        if key not in self._envs:
            env = jinja2.Environment(
                loader=jinja2.FileSystemLoader(self.folder),
                # The HTML part is escaped; the plain-text part is shown as text by any client.
                autoescape=jinja2.select_autoescape(["html"], default_for_string=False),
                extensions=["jinja2.ext.i18n"],
                undefined=jinja2.StrictUndefined,
                keep_trailing_newline=True,
            )
            env.install_gettext_translations(self._translations(locale), newstyle=True)  # type: ignore[attr-defined]
            env.globals["link"] = self.link
            env.globals["locale"] = locale
            self._envs[key] = env
        return self._envs[key]

    def link(self, path: str) -> str:
        """An absolute link to ``path`` on the public URL."""
        return self.public_url + "/" + path.lstrip("/")

    def render(self, template: str, locale: str | None, /, **context: Any) -> RenderedMail:
        language = locale if locale in LOCALES else "en"
        env = self._env(language)
        subject, text = _split(env.get_template(f"{template}.txt"), context)
        html = env.get_template(f"{template}.html").render(**context)
        if _REMOTE.search(html) or _STYLE_URL.search(html):
            raise RemoteContentError(f"mail {template} refers to remote content")
        return RenderedMail(subject=subject, text=text, html=html)


def _split(template: jinja2.Template, context: dict[str, Any]) -> tuple[str, str]:
    rendered = template.render(**context)
    first, _, body = rendered.partition("\n")
    if not first.startswith("Subject:"):
        raise ValueError(f"{template.name} must start with a 'Subject: …' line")
    return " ".join(first.removeprefix("Subject:").split()), body.strip() + "\n"
