"""Domain errors as RFC 9457 problems: the one place a refused rule becomes an HTTP answer."""

import logging

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from kasa_invoicing.domain.errors import Conflict, DomainError, Invalid, NotFound
from kasa_servicekit.problems import problem_response

log = logging.getLogger("kasa.invoicing")

PROBLEMS: dict[type[DomainError], tuple[int, str]] = {
    NotFound: (404, "Not Found"),
    Conflict: (409, "Conflict"),
    Invalid: (422, "Unprocessable Content"),
}
"""Status and title per kind of error; the error's message is the problem's detail."""


def problem_for(exc: DomainError) -> tuple[int, str] | None:
    """The status and title of the nearest kind of ``exc`` listed in ``PROBLEMS``."""
    return next((PROBLEMS[k] for k in type(exc).__mro__ if k in PROBLEMS), None)


def install(app: FastAPI) -> None:
    """Answer every domain error raised under a route with its problem."""

    @app.exception_handler(DomainError)
    async def _domain_error(request: Request, exc: DomainError) -> JSONResponse:
        problem = problem_for(exc)
        if problem is None:
            # A new kind of error without a status is a mistake here, not the caller's.
            log.error("no problem for %s on %s", type(exc).__name__, request.url.path)
            return problem_response(request, 500, "Internal Server Error")
        status, title = problem
        field = getattr(exc, "field", ())
        if not field:
            return problem_response(request, status, title, str(exc))
        # Shaped as a validation error, so a form puts the message next to the field.
        kind = getattr(exc, "kind", "value_error")
        errors = [{"loc": ["body", *field], "msg": str(exc), "type": kind}]
        return problem_response(request, status, title, str(exc), errors=errors)
