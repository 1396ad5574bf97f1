"""The one place where the integrations service's refusals become problem documents.

Each domain error maps to a status, a title and, for some, a machine-readable ``reason``;
the ``detail`` is the error's own message.
"""

from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from kasa_integrations.domain.errors import (
    ConfigurationInvalid,
    DomainError,
    NotAFileImport,
    PluginDisabled,
    PluginNotConfigured,
    SyncAlreadyRunning,
    SyncFinished,
    SyncNotFound,
    UploadRateExceeded,
    UploadRequired,
    UploadTooLarge,
)
from kasa_integrations.plugins.base import UploadRejectedError
from kasa_servicekit.problems import ProblemError, problem_response

_PROBLEMS: dict[type[Exception], tuple[int, str, str | None]] = {
    UploadRequired: (409, "Conflict", "upload_required"),
    PluginNotConfigured: (409, "Conflict", "not_configured"),
    PluginDisabled: (409, "Conflict", "disabled"),
    SyncAlreadyRunning: (409, "Conflict", "already_running"),
    SyncFinished: (409, "Conflict", "finished"),
    NotAFileImport: (409, "Conflict", None),
    SyncNotFound: (404, "Not Found", None),
    UploadTooLarge: (413, "Content Too Large", None),
    UploadRateExceeded: (429, "Too Many Requests", "rate_limited"),
    ConfigurationInvalid: (422, "Unprocessable Content", None),
    UploadRejectedError: (422, "Unprocessable Content", None),
}


def problem_for(exc: Exception) -> ProblemError:
    """The problem a refusal is answered with."""
    for kind in type(exc).__mro__:
        if kind in _PROBLEMS:
            status, title, reason = _PROBLEMS[kind]
            break
    else:
        return ProblemError(500, "Internal Server Error")
    extra: dict[str, Any] = {}
    if reason:
        extra["reason"] = reason
    if isinstance(exc, SyncAlreadyRunning) and exc.sync_id is not None:
        extra["sync_id"] = str(exc.sync_id)
    if isinstance(exc, ConfigurationInvalid):
        extra["errors"] = exc.errors
    headers = None
    if isinstance(exc, UploadRateExceeded):
        headers = {"Retry-After": str(exc.retry_after)}
    return ProblemError(status, title, str(exc), headers=headers, **extra)


def install(app: FastAPI) -> None:
    async def answer(request: Request, exc: Exception) -> JSONResponse:
        problem = problem_for(exc)
        return problem_response(
            request,
            problem.status,
            problem.title,
            problem.detail,
            headers=problem.headers,
            **problem.extra,
        )

    app.add_exception_handler(DomainError, answer)
    app.add_exception_handler(UploadRejectedError, answer)
