"""English and Czech: gettext catalogs through Babel, and locale-aware dates and money.

The catalogs are the ``.po`` files under ``locale/<lang>/LC_MESSAGES/``, one per feature so
features can be translated independently; they are compiled in memory at start.
"""

from contextvars import ContextVar
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from functools import cache, lru_cache
from pathlib import Path

from babel import Locale, numbers
from babel import dates as babel_dates
from babel.support import NullTranslations

from kasa_servicekit.catalogs import compile_catalogs
from kasa_servicekit.money import money_text

LOCALES = ("en", "cs")
DEFAULT_LOCALE = "en"
LOCALE_DIR = Path(__file__).resolve().parent / "locale"
LANGUAGE_NAMES = {"en": "English", "cs": "Čeština"}
current_locale: ContextVar[str] = ContextVar("kasa_web_locale", default=DEFAULT_LOCALE)
"""The locale of the page being rendered (set once the viewer is known)."""


@cache
def translations(locale: str) -> NullTranslations:
    """Every catalog of ``locale`` merged into one (English is the source language)."""
    return compile_catalogs(LOCALE_DIR, locale)


def negotiate(preferred: str | None, accept_language: str | None) -> str:
    """The user's own setting first, then the browser's ``Accept-Language``, then English."""
    if preferred in LOCALES:
        return str(preferred)
    ranked: list[tuple[float, str]] = []
    for position, item in enumerate((accept_language or "").split(",")):
        tag, _, params = item.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        if tag:
            ranked.append((-quality + position * 1e-6, tag.strip().lower()))
    for _, tag in sorted(ranked):
        language = tag.split("-")[0]
        if language in LOCALES:
            return language
    return DEFAULT_LOCALE


def _decimal(value: object) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


@cache
def _locale(code: str) -> Locale:
    return Locale.parse(code)


def money(value: object, currency: str | None, locale: str) -> str:
    """An amount (a decimal string on the wire) with its currency, as the locale writes it."""
    if value is None or value == "":
        return ""
    return _money(str(value), currency, locale)


# Babel takes a tenth of a millisecond per amount and a page of invoices shows a hundred;
# the same amounts come back on every view of the page.
@lru_cache(maxsize=65_536)
def _money(value: str, currency: str | None, locale: str) -> str:
    amount = _decimal(value)
    if amount is None:
        return ""
    if not currency:
        return numbers.format_decimal(amount, locale=_locale(locale))
    return money_text(amount, currency, locale)


def number(value: object, locale: str, digits: int | None = None) -> str:
    amount = _decimal(value)
    if amount is None:
        return ""
    if digits is not None:
        pattern = "#,##0." + "0" * digits if digits else "#,##0"
        return numbers.format_decimal(amount, format=pattern, locale=_locale(locale))
    return numbers.format_decimal(amount, locale=_locale(locale))


def _as_datetime(value: object) -> date | datetime | None:
    if isinstance(value, datetime | date):
        return value
    if not value:
        return None
    text = str(value)
    try:
        return (
            datetime.fromisoformat(text.replace("Z", "+00:00"))
            if "T" in text
            else (date.fromisoformat(text))
        )
    except ValueError:
        return None


def day(value: object, locale: str, style: str = "medium") -> str:
    if isinstance(value, str):
        return _day(value, locale, style)
    return _format_day(value, locale, style)


@lru_cache(maxsize=16_384)
def _day(value: str, locale: str, style: str) -> str:
    return _format_day(value, locale, style)


def _format_day(value: object, locale: str, style: str) -> str:
    moment = _as_datetime(value)
    if moment is None:
        return ""
    return babel_dates.format_date(moment, format=style, locale=_locale(locale))


def moment(value: object, locale: str, timezone: str = "Europe/Prague") -> str:
    when = _as_datetime(value)
    if not isinstance(when, datetime):
        return day(value, locale)
    return babel_dates.format_datetime(
        when, format="medium", tzinfo=babel_dates.get_timezone(timezone), locale=_locale(locale)
    )


def month_name(month: int, locale: str, width: str = "abbreviated") -> str:
    names = _locale(locale).months["stand-alone"][width]
    return str(names[month])


def duration(minutes: object) -> str:
    """``h:mm``, the way a timesheet shows time (the same in both languages)."""
    try:
        total = int(str(minutes))
    except ValueError:
        return ""
    return f"{total // 60}:{total % 60:02d}"
