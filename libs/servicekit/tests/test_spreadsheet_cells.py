"""CSV cells never start a spreadsheet formula; numbers stay numbers."""

import pytest

from kasa_servicekit.spreadsheet_cells import neutralized


@pytest.mark.parametrize(
    "text", ["=1+1", "+1+1", "-1+1", "@SUM(A1)", "\t=1", "\r=1", "  =1", '=HYPERLINK("x")']
)
def test_a_cell_that_could_start_a_formula_gets_a_quote(text):
    assert neutralized(text) == "'" + text


@pytest.mark.parametrize("value", ["-1200.50", "-3", "Acme", "", 7, None, "a=b"])
def test_numbers_and_plain_text_are_left_as_they_are(value):
    assert neutralized(value) == value
