"""What a person sees when something goes wrong: a page, never a stack trace."""

import logging
from urllib.parse import quote

from fastapi import FastAPI, Request
from starlette.exceptions import HTTPException
from starlette.responses import RedirectResponse, Response

from kasa_web.api_client import ApiProblem, ApiUnavailable
from kasa_web.rendering import is_htmx, render
from kasa_web.viewer import SignInRequired, page_locale

log = logging.getLogger("kasa.web")


def redirect(request: Request, url: str) -> Response:
    """303 to ``url``; for htmx, a client-side redirect that replaces the whole page."""
    if is_htmx(request):
        return Response(status_code=204, headers={"HX-Redirect": url})
    return RedirectResponse(url, status_code=303)


def _sign_in(request: Request) -> Response:
    here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    target = "/sign-in" if here in ("/", "/sign-out") else f"/sign-in?next={quote(here)}"
    return redirect(request, target)


def error_page(request: Request, status: int, kind: str) -> Response:
    if not hasattr(request.state, "locale"):
        request.state.locale = page_locale(request)
    return render(request, "error.html", {"status": status, "kind": kind}, status_code=status)


def install_error_pages(app: FastAPI) -> None:
    async def sign_in_required(request: Request, _exc: Exception) -> Response:
        return _sign_in(request)

    async def api_problem(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, ApiProblem)
        if exc.status == 401:
            return _sign_in(request)
        if exc.status in (403, 404, 429):
            return error_page(request, exc.status, str(exc.status))
        return error_page(request, 400, "400")

    async def unavailable(request: Request, _exc: Exception) -> Response:
        return error_page(request, 503, "503")

    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        if exc.status_code == 405:
            return error_page(request, 405, "404")
        return error_page(request, exc.status_code, "404" if exc.status_code == 404 else "400")

    async def crash(request: Request, exc: Exception) -> Response:
        log.exception("page %s failed", request.url.path, exc_info=exc)
        return error_page(request, 500, "500")

    app.add_exception_handler(SignInRequired, sign_in_required)
    app.add_exception_handler(ApiProblem, api_problem)
    app.add_exception_handler(ApiUnavailable, unavailable)
    app.add_exception_handler(HTTPException, http_error)
    app.add_exception_handler(Exception, crash)
