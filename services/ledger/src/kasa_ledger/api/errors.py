"""The one place the ledger's domain errors become RFC 9457 problems."""

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from kasa_ledger.domain.categorizing import CategoryExists, UnknownCategory
from kasa_ledger.domain.corrections import (
    InvalidCorrection,
    NotAnEntry,
    PaysInvoices,
    TransactionVoided,
)
from kasa_ledger.domain.errors import DomainError, NotFound, UnknownAccount
from kasa_ledger.domain.holdings import ClosedBeforeLastValue, HoldingIsClosed
from kasa_ledger.domain.loans import (
    InstallmentLinked,
    NoSuchInstallment,
    NotALoanPayment,
    PaysAnotherInstallment,
)
from kasa_ledger.domain.matching import CannotMatch, InvoiceIsCancelled, SuggestionDecided
from kasa_ledger.domain.reports import PeriodReversed, PeriodTooLong, SeriesPeriod
from kasa_servicekit.problems import problem_response

NOT_FOUND = (404, "Not Found")
CONFLICT = (409, "Conflict")
UNPROCESSABLE = (422, "Unprocessable Content")

PROBLEMS: dict[type[DomainError], tuple[int, str]] = {
    NotFound: NOT_FOUND,
    # The request names something that is not there to use.
    UnknownAccount: UNPROCESSABLE,
    UnknownCategory: UNPROCESSABLE,
    NoSuchInstallment: UNPROCESSABLE,
    NotALoanPayment: UNPROCESSABLE,
    InvalidCorrection: UNPROCESSABLE,
    PeriodReversed: UNPROCESSABLE,
    PeriodTooLong: UNPROCESSABLE,
    SeriesPeriod: UNPROCESSABLE,
    # The request is fine, but the state of the money does not allow it now.
    NotAnEntry: CONFLICT,
    TransactionVoided: CONFLICT,
    PaysInvoices: CONFLICT,
    InvoiceIsCancelled: CONFLICT,
    CannotMatch: CONFLICT,
    SuggestionDecided: CONFLICT,
    CategoryExists: CONFLICT,
    PaysAnotherInstallment: CONFLICT,
    InstallmentLinked: CONFLICT,
    HoldingIsClosed: CONFLICT,
    ClosedBeforeLastValue: CONFLICT,
}
"""Status and title of each refusal; the detail is the error's own text."""


def problem_for(exc: DomainError) -> tuple[int, str]:
    """The status and title of a domain error (by its nearest mapped class)."""
    for kind in type(exc).__mro__:
        if kind in PROBLEMS:
            return PROBLEMS[kind]
    raise LookupError(f"no problem is mapped for {type(exc).__name__}")


def install(app: FastAPI) -> None:
    """Answer every domain error a route lets through with its problem."""

    @app.exception_handler(DomainError)
    async def _refused(request: Request, exc: DomainError) -> JSONResponse:
        status, title = problem_for(exc)
        return problem_response(request, status, title, str(exc))
