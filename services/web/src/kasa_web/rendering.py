"""Pages and their fragments: Jinja2 templates with Babel's gettext and formatting.

A page renders whole for a normal request; for an htmx request that names a fragment
(a block of the same template) only that block is rendered, so one template serves both.
"""

from contextvars import ContextVar
from typing import Any

import jinja2
from fastapi import Request
from jinja2_fragments.fastapi import Jinja2Blocks
from starlette.responses import Response

from kasa_servicekit.auth import outranks
from kasa_web import i18n
from kasa_web.settings import PACKAGE
from kasa_web.viewer import THEME_COOKIE, THEMES

_locale = i18n.current_locale

env = jinja2.Environment(
    loader=jinja2.FileSystemLoader(PACKAGE / "templates"),
    autoescape=True,
    extensions=["jinja2.ext.i18n"],
    trim_blocks=True,
    lstrip_blocks=True,
)
templates = Jinja2Blocks(env=env)


def _gettext(message: str, **variables: Any) -> str:
    text = i18n.translations(_locale.get()).gettext(message)
    return text % variables if variables else text


def _ngettext(singular: str, plural: str, n: int) -> str:
    # Jinja's newstyle gettext fills in ``num`` and every other variable itself, afterwards.
    return i18n.translations(_locale.get()).ngettext(singular, plural, n)


env.install_gettext_callables(_gettext, _ngettext, newstyle=True)  # type: ignore[attr-defined]
env.filters["money"] = lambda value, currency=None: i18n.money(value, currency, _locale.get())
env.filters["number"] = lambda value, digits=None: i18n.number(value, _locale.get(), digits)
env.filters["day"] = lambda value, style="medium": i18n.day(value, _locale.get(), style)
env.filters["moment"] = lambda value: i18n.moment(value, _locale.get())
env.filters["duration"] = i18n.duration
env.globals["month_name"] = lambda month, width="abbreviated": i18n.month_name(
    month, _locale.get(), width
)
env.globals["LANGUAGE_NAMES"] = i18n.LANGUAGE_NAMES


def role_label(role: str) -> str:
    """A member's role as the page's language names it."""
    names = {
        "owner": _gettext("owner"),
        "admin": _gettext("admin"),
        "member": _gettext("member"),
        "viewer": _gettext("viewer"),
    }
    return names.get(role, role)


env.globals["role_label"] = role_label


@jinja2.pass_context
def allowed(context: Any, role: str) -> bool:
    """Whether the signed-in person's role is ``role`` or above (the API's role matrix), so a
    page offers only the actions the API would accept from them: ``{% if allowed("admin") %}``."""
    viewer = context.get("viewer")
    principal = getattr(viewer, "principal", None)
    return principal is not None and outranks(str(getattr(principal, "role", "")), role)


env.globals["allowed"] = allowed

_csrf_token: ContextVar[str | None] = ContextVar("kasa_web_csrf_token", default=None)


# A global, not the context's ``viewer``: macros imported from partials see globals only.
env.globals["csrf_token"] = _csrf_token.get


def gettext(message: str, **variables: Any) -> str:
    """Translate in Python code (flash messages, problem texts) for the current page."""
    return _gettext(message, **variables)


def is_htmx(request: Request) -> bool:
    return request.headers.get("hx-request") == "true"


def render(
    request: Request,
    template: str,
    context: dict[str, Any] | None = None,
    *,
    block: str | None = None,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
) -> Response:
    """Render ``template`` (or only ``block`` of it, for an htmx request) in the page's locale."""
    locale = getattr(request.state, "locale", None) or _locale.get()
    _locale.set(locale)
    viewer = getattr(request.state, "viewer", None)
    _csrf_token.set(getattr(viewer, "csrf_token", None))
    theme = request.cookies.get(THEME_COOKIE)
    values = {
        "request": request,
        "viewer": viewer,
        "locale": locale,
        "theme": theme if theme in THEMES else None,
        "flash": request.query_params.get("done"),
        **(context or {}),
    }
    use_block = block if block and is_htmx(request) else None
    response: Response
    if use_block:
        response = templates.TemplateResponse(
            request, template, values, block_name=use_block, status_code=status_code
        )
    else:
        response = templates.TemplateResponse(request, template, values, status_code=status_code)
    for key, value in (headers or {}).items():
        response.headers[key] = value
    response.headers["content-language"] = locale
    return response
