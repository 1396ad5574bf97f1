"""The colour scheme a person picked; remembered in a cookie, so it holds before sign-in too."""

from fastapi import APIRouter, Request
from starlette.responses import Response

from kasa_web.errors import redirect
from kasa_web.pages.common import safe_next
from kasa_web.viewer import THEME_COOKIE, THEMES, MaybeSignedIn

router = APIRouter(include_in_schema=False)
YEAR = 365 * 24 * 3600


@router.post("/preferences/theme")
async def set_theme(request: Request, _viewer: MaybeSignedIn) -> Response:
    form = await request.form()
    theme = str(form.get("theme", ""))
    back = safe_next(request.headers.get("referer", "").partition(request.url.netloc)[2] or "/")
    response = redirect(request, back)
    if theme in THEMES:
        response.set_cookie(THEME_COOKIE, theme, max_age=YEAR, samesite="lax", path="/")
    return response
