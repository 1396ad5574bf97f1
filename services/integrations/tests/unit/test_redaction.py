"""Redaction masks a secret whole and in any piece long enough to give it away."""

import logging

import pytest
from pydantic import BaseModel, Field, ValidationError

from kasa_integrations.security import redaction
from kasa_integrations.security.redaction import FRAGMENT, MASK, redact
from kasa_servicekit.logs import RedactingFilter

TOKEN = "Kq4vT9xZ2mW7pL1sR8nB3cY6hJ0dF5gAeUoIiEaQwXyZzPpLlMmNnBbVvCcXx1234"[:64]


class Strict(BaseModel):
    token: str = Field(pattern=r"^[0-9a-f]{64}$")


def pydantic_text(value: str) -> str:
    try:
        Strict(token=value)
    except ValidationError as exc:
        return str(exc)
    raise AssertionError("the value was valid")


def test_pydantic_shortened_echo_is_masked():
    echoed = pydantic_text(TOKEN)
    assert TOKEN[:24] in echoed, "pydantic quotes the start of the value"
    cleaned = redact(echoed, [TOKEN])
    assert TOKEN[:24] not in cleaned and TOKEN[-23:] not in cleaned
    assert "input_value='[REDACTED]...[REDACTED]'" in cleaned
    assert "String should match pattern" in cleaned, "the reason stays"


@pytest.mark.parametrize(
    "shown",
    [TOKEN, TOKEN[:FRAGMENT], TOKEN[10:40], TOKEN[-FRAGMENT:], f"x{TOKEN[5:30]}y"],
)
def test_any_piece_of_a_secret_is_masked(shown):
    cleaned = redact(f"before {shown} after", [TOKEN])
    assert cleaned.startswith("before ") and cleaned.endswith(" after")
    assert MASK in cleaned
    for i in range(len(TOKEN) - FRAGMENT + 1):
        assert TOKEN[i : i + FRAGMENT] not in cleaned


def test_text_without_a_piece_of_the_secret_is_left_alone():
    text = f"sync failed: {TOKEN[: FRAGMENT - 1]} is only a short coincidence"
    assert redact(text, [TOKEN]) == text


def test_a_secret_is_masked_as_repr_escapes_it():
    secret = "it's a \\ pass\nphrase"
    echoed = f"input_value={secret!r}"
    assert MASK in redact(echoed, [secret]) and "pass" not in redact(echoed, [secret])


def test_short_secrets_are_masked_whole_only():
    assert redact("the pin 4821 and 482", ["4821"]) == f"the pin {MASK} and 482"


def test_log_lines_lose_the_pieces_while_a_secret_is_held(caplog):
    logger = logging.getLogger("kasa.test.redaction")
    handler = logging.StreamHandler()
    handler.addFilter(RedactingFilter(redaction.redact_held))
    logger.addHandler(handler)
    try:
        with caplog.at_level(logging.INFO, logger="kasa.test.redaction"):
            with redaction.holding([TOKEN]):
                logger.info("refused: %s", pydantic_text(TOKEN))
            logger.info("after: %s", TOKEN[:12])
    finally:
        logger.removeHandler(handler)
    held, after = caplog.records
    assert TOKEN[:24] not in held.getMessage() and MASK in held.getMessage()
    assert TOKEN[:12] in after.getMessage(), "nothing is held any more"
