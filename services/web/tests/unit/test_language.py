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


def test_a_plural_message_with_more_variables_than_its_count_renders_in_both_languages() -> None:
    from kasa_web.rendering import _locale, env

    template = env.from_string(
        "{{ ngettext('%(num)s message parked in %(queue)s', "
        "'%(num)s messages parked in %(queue)s', count, queue=queue) }}"
    )
    _locale.set("en")
    assert template.render(count=1, queue="ledger.bank") == "1 message parked in ledger.bank"
    assert template.render(count=3, queue="ledger.bank") == "3 messages parked in ledger.bank"
