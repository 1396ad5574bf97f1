"""A form and what the API said of it: the values typed, and an error next to each field.

The API answers a bad request with an RFC 9457 problem whose ``errors`` name the fields
(``loc``: ``["body", "name"]``). The page shows each message beside its field, in the page's
language, and keeps every value the person typed.
"""

from dataclasses import dataclass, field
from typing import Any

from starlette.datastructures import FormData

from kasa_web.api_client import ApiProblem
from kasa_web.rendering import gettext as _


def N_(message: str) -> str:
    """Marks a message for translation where it is defined; it is translated where shown."""
    return message


# pydantic's error types, worded for a person; anything else falls back to a general message.
_MESSAGES = {
    "missing": N_("This field is required."),
    "string_too_short": N_("This is too short."),
    "string_too_long": N_("This is too long."),
    "value_error": N_("This value is not valid."),
    "string_pattern_mismatch": N_("This value is not in the expected format."),
    "decimal_parsing": N_("Enter a number."),
    "decimal_type": N_("Enter a number."),
    "decimal_max_digits": N_("This number has too many digits."),
    "decimal_max_places": N_("This number has too many decimal places."),
    "greater_than": N_("This number is too small."),
    "greater_than_equal": N_("This number is too small."),
    "less_than": N_("This number is too large."),
    "less_than_equal": N_("This number is too large."),
    "int_parsing": N_("Enter a whole number."),
    "date_from_datetime_parsing": N_("Enter a date."),
    "date_parsing": N_("Enter a date."),
    "datetime_parsing": N_("Enter a date and time."),
    "uuid_parsing": N_("Choose a value from the list."),
    "enum": N_("Choose a value from the list."),
    "literal_error": N_("Choose a value from the list."),
    "url_parsing": N_("Enter a valid URL."),
    "url_scheme": N_("Enter a valid URL."),
    "iban": N_("This IBAN is not valid."),
    "extra_forbidden": N_("This field is not expected."),
}
_GENERAL = N_("This value is not valid.")


@dataclass
class Form:
    """The values of a form and its errors: ``errors[""]`` holds what belongs to no field."""

    values: dict[str, Any] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)

    @classmethod
    def of(cls, data: FormData | dict[str, Any]) -> "Form":
        values = {k: v for k, v in data.items() if k != "csrf_token" and isinstance(v, str)}
        return cls(values=values)

    def get(self, name: str, default: Any = "") -> Any:
        return self.values.get(name, default)

    def text(self, name: str) -> str | None:
        """The trimmed value of a text field; ``None`` when left empty."""
        value = str(self.values.get(name, "")).strip()
        return value or None

    def error(self, name: str, message: str) -> None:
        self.errors.setdefault(name, message)

    @property
    def valid(self) -> bool:
        return not self.errors

    def refused(self, problem: ApiProblem, aliases: dict[str, str] | None = None) -> "Form":
        """Put the API's field errors next to their fields; the rest at the top of the form."""
        for item in problem.errors:
            loc = [str(part) for part in item.get("loc", []) if part not in ("body", "query")]
            name = (aliases or {}).get(".".join(loc), loc[0] if loc else "")
            if name not in self.values:
                name = ""
            kind = str(item.get("type", ""))
            message = _(_MESSAGES[kind]) if kind in _MESSAGES else _(_GENERAL)
            if name == "" and item.get("msg"):
                message = str(item["msg"])
            self.error(name, message)
        if not problem.errors:
            self.error("", problem_text(problem))
        return self


def problem_text(problem: ApiProblem) -> str:
    """What to tell the person when the API refused for a reason that is not one field."""
    if problem.status == 409:
        return _("This conflicts with the current state: %(detail)s", detail=_detail(problem))
    if problem.status == 403 and problem.problem.get("reason") == "email_unverified":
        return _(
            "Verify your email address first: open the link we sent you, or ask for a new one "
            "on your profile."
        )
    if problem.status == 403:
        return _("You are not allowed to do this in this workspace.")
    if problem.status == 404:
        return _("It no longer exists.")
    if problem.status == 429:
        seconds = problem.retry_after
        if seconds:
            return _("Too many attempts. Try again in %(seconds)s seconds.", seconds=seconds)
        return _("Too many attempts. Try again later.")
    return _("The request was refused: %(detail)s", detail=_detail(problem))


def _detail(problem: ApiProblem) -> str:
    return str(problem.problem.get("detail") or problem.problem.get("title") or problem.status)
