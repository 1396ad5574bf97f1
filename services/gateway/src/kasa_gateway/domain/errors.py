"""Why the gateway refuses a request, as plain exceptions; ``api/errors.py`` answers each one.

The message of each error is the ``detail`` its problem document carries.
"""


class DomainError(Exception):
    """A rule refused what the caller asked for."""

    detail = "the request was refused"

    def __init__(self, detail: str | None = None) -> None:
        super().__init__(detail or self.detail)
        self.detail = detail or self.detail


class UnknownEntity(DomainError):
    """Not there, or not the caller's to see: both look the same."""

    def __init__(self, what: str) -> None:
        super().__init__(f"{what} does not exist")


class WrongCredentials(DomainError):
    # Unknown email and wrong password share it, so it tells nobody which accounts exist.
    detail = "wrong email or password"


class AccountGone(DomainError):
    detail = "the account no longer exists"


class NotAMember(DomainError):
    detail = "not a member of this workspace"


class NotAllowed(DomainError):
    """The caller's role does not allow it."""


class WrongPassword(DomainError):
    detail = "the current password is wrong"


class EmailTaken(DomainError):
    detail = "an account with this email already exists"


class AlreadyMember(DomainError):
    detail = "this person is already a member"


class LastOwner(DomainError):
    detail = "a workspace keeps at least one owner"


class NotABrowserSession(DomainError):
    detail = "only a browser session switches this way; use /auth/switch"


class RefreshRefused(DomainError):
    """The refresh token is unknown, expired, revoked or was already used."""

    detail = "the refresh token is not valid"


class ResetLinkRefused(DomainError):
    """The reset link is unknown, expired or was already used: all look the same."""

    detail = "this reset link is not valid any more; ask for a new one"


class VerificationLinkRefused(DomainError):
    """The verification link is unknown, expired or was already used: all look the same."""

    detail = "this verification link is not valid any more; ask for a new one"


class AlreadyVerified(DomainError):
    detail = "this address is verified already"


class SameEmail(DomainError):
    detail = "this is the address of your account already"


class WeakPassword(DomainError):
    """The password breaks the policy; ``problems`` says how."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


class TooManyAttempts(DomainError):
    """A rate limit or the sign-in lockout: try again in ``retry_after`` seconds."""

    def __init__(self, detail: str, retry_after: int) -> None:
        super().__init__(detail)
        self.retry_after = retry_after


class OperatorApiOff(DomainError):
    """The operator API lacks the settings that reach the services and the broker."""

    def __init__(self, missing: list[str]) -> None:
        super().__init__(f"the operator API is not configured: set {', '.join(missing)}")
        self.missing = missing


class ServiceUnreachable(DomainError):
    """A service's ops listener did not answer the operator API."""


class BrokerUnreachable(DomainError):
    """The broker did not answer the operator API."""

    detail = "the broker does not answer"
