"""The password rules: long enough, not a well-known password, not the email."""

from functools import cache
from importlib import resources

MIN_LENGTH = 12
MAX_LENGTH = 1024


@cache
def _common_passwords() -> frozenset[str]:
    text = resources.files(__package__).joinpath("common_passwords.txt").read_text("utf-8")
    return frozenset(
        line.strip().lower() for line in text.splitlines() if line.strip() and line[0] != "#"
    )


def _squashed(text: str) -> str:
    return "".join(ch for ch in text.lower() if ch.isalnum())


def password_problems(password: str, email: str) -> list[str]:
    """Why ``password`` is refused for the account ``email``; empty when it is acceptable."""
    problems = []
    if len(password) < MIN_LENGTH:
        problems.append(f"the password must have at least {MIN_LENGTH} characters")
    if len(password) > MAX_LENGTH:
        problems.append(f"the password must have at most {MAX_LENGTH} characters")
    lowered = password.strip().lower()
    if lowered in _common_passwords() or _squashed(password) in _common_passwords():
        problems.append("the password is on the list of commonly used passwords")
    email = email.strip().lower()
    local = email.partition("@")[0]
    if lowered in (email, local) or _squashed(password) in (_squashed(email), _squashed(local)):
        problems.append("the password must not be the email address")
    return problems
