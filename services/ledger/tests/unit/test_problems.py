"""Every refusal of the ledger's rules reaches a caller as a problem with its own text."""

import pytest

from kasa_ledger.api.errors import PROBLEMS, problem_for
from kasa_ledger.domain import (
    accounts,
    booking,
    categorizing,
    corrections,
    errors,
    holdings,
    loans,
    matching,
    reports,
)
from kasa_ledger.domain.errors import DomainError, NotFound

DOMAIN = (accounts, booking, categorizing, corrections, errors, holdings, loans, matching, reports)


def refusals() -> set[type[DomainError]]:
    """Every domain error the ledger's domain modules define."""
    return {
        value
        for module in DOMAIN
        for value in vars(module).values()
        if isinstance(value, type) and issubclass(value, DomainError) and value is not DomainError
    }


def test_every_domain_error_has_a_status():
    assert NotFound in refusals()
    unmapped = sorted(kind.__name__ for kind in refusals() if kind not in PROBLEMS)
    assert unmapped == []


@pytest.mark.parametrize(
    ("error", "status", "title", "detail"),
    [
        (NotFound("transaction"), 404, "Not Found", "transaction does not exist"),
        (corrections.TransactionVoided(), 409, "Conflict", "the transaction is voided"),
        (
            categorizing.CategoryExists("rent"),
            409,
            "Conflict",
            "the category 'rent' exists",
        ),
        (
            loans.NoSuchInstallment(),
            422,
            "Unprocessable Content",
            "the loan has no such installment",
        ),
        (
            matching.CannotMatch("only an income entry can pay an invoice"),
            409,
            "Conflict",
            "only an income entry can pay an invoice",
        ),
    ],
)
def test_a_refusal_keeps_its_status_and_text(error, status, title, detail):
    assert problem_for(error) == (status, title)
    assert str(error) == detail
