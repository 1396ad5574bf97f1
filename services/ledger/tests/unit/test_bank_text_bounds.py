"""Bank text is cut to its column with a marker, the whole kept in raw_data; keys stay unique."""

from kasa_ledger.db.tables import Account, Transaction
from kasa_ledger.domain.accounts import BANK_REF_WIDTH
from kasa_ledger.domain.text import (
    EXTERNAL_ID_WIDTH,
    MARKER,
    TRANSACTION_TEXT,
    bounded_key,
    fitted,
    truncated,
)


def test_the_widths_are_the_columns_widths():
    for name, width in TRANSACTION_TEXT.items():
        assert Transaction.__table__.c[name].type.length == width, name
    assert Transaction.__table__.c["external_id"].type.length == EXTERNAL_ID_WIDTH
    assert Account.__table__.c["bank_ref"].type.length == BANK_REF_WIDTH


def test_a_long_text_is_cut_with_a_marker_and_kept_whole():
    assert truncated("short", 10) == "short" and truncated(None, 10) is None
    assert truncated("x" * 11, 10) == "x" * 9 + MARKER
    row = fitted(
        {"counterparty": "A" * 500, "reference": "ok", "raw_data": {"id": 1}}, TRANSACTION_TEXT
    )
    assert row["counterparty"] == "A" * 299 + MARKER and row["reference"] == "ok"
    assert row["raw_data"] == {"id": 1, "untruncated": {"counterparty_name": "A" * 500}}


def test_a_whole_text_a_plugin_kept_is_not_replaced():
    raw = {"untruncated": {"counterparty_name": "the whole name"}}
    row = fitted({"counterparty": "B" * 400, "raw_data": raw}, TRANSACTION_TEXT)
    assert row["raw_data"]["untruncated"]["counterparty_name"] == "the whole name"


def test_long_keys_are_cut_but_never_merged():
    assert bounded_key("fio-1", 200) == "fio-1"
    one, two = bounded_key("x" * 300 + "1", 200), bounded_key("x" * 300 + "2", 200)
    assert len(one) == len(two) == 200 and one != two
    assert bounded_key("x" * 300 + "1", 200) == one
