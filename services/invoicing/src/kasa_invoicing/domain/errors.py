"""How a rule refuses a request. The message is what the caller reads, so it says what to do."""


class DomainError(Exception):
    """A rule refused the request; ``str(error)`` tells the caller why."""


class NotFound(DomainError):
    """No such record in the caller's workspace (another workspace's are not found either)."""

    def __init__(self, what: str) -> None:
        super().__init__(f"{what} does not exist")
        self.what = what


class Conflict(DomainError):
    """The current state of a record forbids the change (an issued invoice, a locked entry)."""


class Invalid(DomainError):
    """The request breaks a rule whatever the state (another client's work, no lines at all).

    ``field`` names the request field at fault (``("extra_lines", 0, "unit_price")``), so the
    problem can put the message next to it; ``kind`` is the error type shown with it.
    """

    def __init__(
        self, message: str, *, field: tuple[str | int, ...] = (), kind: str = "value_error"
    ) -> None:
        super().__init__(message)
        self.field = field
        self.kind = kind
