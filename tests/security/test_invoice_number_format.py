"""H1: the invoice number format is user input, parsed by our grammar, never ``str.format``."""

import time
import tracemalloc

import pytest

from kasa_invoicing.domain.numbering import MAX_LENGTH, MAX_SEQUENCE, check_format, format_number

HOSTILE = [
    "{seq:>999999999}",  # a gigabyte of padding through str.format
    "{seq:0999999999d}",
    "{seq.__class__}",
    "{seq!r}",
    "{seq[0]}",
    "{{seq}}{seq}",
    "{seq}" + "x" * 60,
    "<script>{seq}",
    "{year}\n{seq}",
    "{seq}%00",
]


@pytest.mark.parametrize("number_format", HOSTILE)
def test_hostile_formats_are_refused_at_once_without_memory(number_format):
    tracemalloc.start()
    started = time.perf_counter()
    with pytest.raises(ValueError):
        check_format(number_format)
    elapsed = time.perf_counter() - started
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    # The old check rendered the format: about a gigabyte and most of a second.
    assert peak < 1_000_000
    assert elapsed < 0.5


def test_every_accepted_format_fits_the_column_for_the_largest_sequence():
    for number_format in ("{year}-{seq:04d}", "FV{yy}{seq:03d}", "{seq:010d}", "A/{year}/{seq}"):
        check_format(number_format)
        number = format_number(number_format, 9999, MAX_SEQUENCE)
        assert len(number) <= MAX_LENGTH
        assert number.isascii() and all(c.isalnum() or c in "/._-" for c in number)


@pytest.mark.e2e
@pytest.mark.asyncio(loop_scope="session")
async def test_the_supplier_api_refuses_a_hostile_format_and_keeps_the_old_one(system):
    user = await system.user()
    supplier = {
        "name": "Jana Nováková",
        "address": "Dlouhá 1, Praha",
        "iban": "CZ6508000000192000145399",
        "default_currency": "CZK",
        "number_format": "{year}-{seq:04d}",
        "payment_terms_days": 14,
    }
    assert (await user.put("/api/v1/supplier", json=supplier)).status_code == 200
    started = time.perf_counter()
    response = await user.put(
        "/api/v1/supplier", json={**supplier, "number_format": "{seq:>999999999}"}
    )
    assert time.perf_counter() - started < 5
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert "number_format" in response.text
    saved = (await user.get("/api/v1/supplier")).json()
    assert saved["number_format"] == "{year}-{seq:04d}"
