"""Which language a page speaks: the person's setting, then the browser's, then English."""

import pytest

from kasa_web.i18n import negotiate


@pytest.mark.parametrize(
    ("setting", "accept", "expected"),
    [
        ("cs", "en-US,en;q=0.9", "cs"),
        (None, "cs-CZ,cs;q=0.9,en;q=0.8", "cs"),
        (None, "de-DE,de;q=0.9,cs;q=0.5,en;q=0.4", "cs"),
        (None, "en;q=0.3,cs;q=0.8", "cs"),
        (None, "de, fr", "en"),
        (None, None, "en"),
        ("xx", "cs", "cs"),
        (None, "cs;q=abc, en", "en"),
    ],
)
def test_language_choice(setting: str | None, accept: str | None, expected: str) -> None:
    assert negotiate(setting, accept) == expected
