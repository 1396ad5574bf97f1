"""The one place where the gateway's domain errors become RFC 9457 problems."""

from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from kasa_gateway.domain.errors import (
    AccountGone,
    AlreadyMember,
    AlreadyVerified,
    BrokerUnreachable,
    DomainError,
    EmailTaken,
    LastOwner,
    NotABrowserSession,
    NotAllowed,
    NotAMember,
    OperatorApiOff,
    RefreshRefused,
    ResetLinkRefused,
    SameEmail,
    ServiceUnreachable,
    TooManyAttempts,
    UnknownEntity,
    VerificationLinkRefused,
    WeakPassword,
    WrongCredentials,
    WrongPassword,
)
from kasa_servicekit.problems import problem_response

PROBLEMS: dict[type[Exception], tuple[int, str]] = {
    UnknownEntity: (404, "Not Found"),
    WrongCredentials: (401, "Unauthorized"),
    AccountGone: (401, "Unauthorized"),
    NotAMember: (401, "Unauthorized"),
    RefreshRefused: (401, "Unauthorized"),
    ResetLinkRefused: (400, "Bad Request"),
    VerificationLinkRefused: (400, "Bad Request"),
    AlreadyVerified: (409, "Conflict"),
    SameEmail: (409, "Conflict"),
    NotAllowed: (403, "Forbidden"),
    WrongPassword: (403, "Forbidden"),
    EmailTaken: (409, "Conflict"),
    AlreadyMember: (409, "Conflict"),
    LastOwner: (409, "Conflict"),
    NotABrowserSession: (409, "Conflict"),
    WeakPassword: (422, "Unprocessable Content"),
    TooManyAttempts: (429, "Too Many Requests"),
    OperatorApiOff: (503, "Service Unavailable"),
    BrokerUnreachable: (503, "Service Unavailable"),
    ServiceUnreachable: (503, "Service Unavailable"),
    DomainError: (400, "Bad Request"),
}
"""Status and title of each kind of refusal; the error's message is the problem's detail."""


def problem_for(request: Request, exc: DomainError) -> JSONResponse:
    status, title = next(PROBLEMS[kind] for kind in type(exc).__mro__ if kind in PROBLEMS)
    headers: dict[str, str] | None = None
    extra: dict[str, Any] = {}
    if isinstance(exc, WrongCredentials):
        headers = {"WWW-Authenticate": "Bearer"}
    elif isinstance(exc, TooManyAttempts):
        headers = {"Retry-After": str(exc.retry_after)}
    elif isinstance(exc, WeakPassword):
        extra["errors"] = [
            {"loc": ["body", "password"], "msg": p, "type": "password_policy"} for p in exc.problems
        ]
    elif isinstance(exc, OperatorApiOff):
        extra["missing_settings"] = exc.missing
    return problem_response(request, status, title, exc.detail, headers=headers, **extra)


def install_problems(app: FastAPI) -> None:
    async def handle(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, DomainError)
        return problem_for(request, exc)

    app.add_exception_handler(DomainError, handle)
