"""The colour scheme and language a person picked before signing in, remembered in cookies.

Once signed in, the language is the person's profile setting; the cookie only carries it to
the pages before sign-in.
"""

from fastapi import APIRouter, Request
from starlette.responses import Response

from kasa_web.errors import redirect
from kasa_web.i18n import LOCALES
from kasa_web.pages.common import safe_next
from kasa_web.viewer import (
    COOKIE_SECONDS,
    THEME_COOKIE,
    THEMES,
    MaybeSignedIn,
    remember_language,
)

router = APIRouter(include_in_schema=False)


def _back(request: Request) -> str:
    return safe_next(request.headers.get("referer", "").partition(request.url.netloc)[2] or "/")


@router.post("/preferences/theme")
async def set_theme(request: Request, _viewer: MaybeSignedIn) -> Response:
    form = await request.form()
    theme = str(form.get("theme", ""))
    response = redirect(request, _back(request))
    if theme in THEMES:
        response.set_cookie(THEME_COOKIE, theme, max_age=COOKIE_SECONDS, samesite="lax", path="/")
    return response


@router.post("/preferences/language")
async def set_language(request: Request, _viewer: MaybeSignedIn) -> Response:
    form = await request.form()
    locale = str(form.get("locale", ""))
    response = redirect(request, _back(request))
    if locale in LOCALES:
        remember_language(response, locale)
    return response
