"""Refusals of the ledger's rules: plain exceptions, turned into answers by the adapters."""


class DomainError(Exception):
    """A rule refused a change or a lookup; ``str(error)`` tells the caller why."""


class NotFound(DomainError):
    """No such record in the caller's workspace (another workspace's record counts as none)."""

    def __init__(self, what: str) -> None:
        super().__init__(f"{what} does not exist")
        self.what = what


class UnknownAccount(DomainError):
    """A manual entry names an account the workspace does not have."""

    def __init__(self) -> None:
        super().__init__("the account does not exist")
