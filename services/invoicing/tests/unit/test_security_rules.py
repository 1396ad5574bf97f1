"""Pure rules behind the security fixes: amount bounds, logo addresses, download names, link
expiry and the portal's rate limit."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from kasa_invoicing.api.downloads import ascii_fallback, content_disposition
from kasa_invoicing.domain.logo import check_logo_url, is_safe_logo_url
from kasa_invoicing.domain.pricing import (
    MAX_AMOUNT,
    AmountTooLarge,
    bounded_totals,
    manual_line,
    totals,
)
from kasa_invoicing.domain.sharing import effective_expiry, expiry, is_live

NOW = datetime(2026, 4, 1, 12, tzinfo=UTC)


def test_a_line_or_total_beyond_the_largest_amount_names_its_field():
    with pytest.raises(AmountTooLarge) as refused:
        manual_line("x", MAX_AMOUNT, "pcs", MAX_AMOUNT, Decimal(0), "CZK", at=("extra_lines", 0))
    assert refused.value.field == ("extra_lines", 0) and refused.value.kind == "less_than_equal"
    line = manual_line("x", Decimal(1), "pcs", Decimal("90000000000000"), Decimal(100), "CZK")
    assert totals([line], "CZK").total == Decimal("180000000000000")  # what is shown stays
    with pytest.raises(AmountTooLarge, match="total"):
        bounded_totals([line], "CZK", at=("vat_rate",))
    fits = manual_line("x", Decimal(2), "pcs", Decimal("49999999999999.99"), Decimal(0), "CZK")
    assert bounded_totals([fits], "CZK").total == Decimal("99999999999999.98")


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        "file:///etc/passwd",
        "http://a.example/x.png",
        "https://u:p@a.example/",
        "https://a.example\\@b.example/",
        "https:///x.png",
        "https://a.example/ x.png",
    ],
)
def test_only_plain_https_logo_addresses_pass(url):
    with pytest.raises(ValueError):
        check_logo_url(url)
    assert not is_safe_logo_url(url)


def test_an_https_logo_address_is_kept_with_its_scheme_in_lower_case():
    assert (
        check_logo_url(" HTTPS://cdn.example.com/logo.png ") == "https://cdn.example.com/logo.png"
    )
    assert is_safe_logo_url(None)


def test_a_download_name_is_one_safe_parameter_each_way():
    header = content_disposition("attachment", 'invoice-2026"; x=".pdf')
    assert header == (
        'attachment; filename="invoice-2026_x_.pdf"; '
        "filename*=UTF-8''invoice-2026%22%3B%20x%3D%22.pdf"
    )
    assert ascii_fallback("invoice-Žluťoučký kůň.pdf") == "invoice-Zlutoucky_kun.pdf"
    long = content_disposition("inline", "invoice-" + "9" * 5000 + ".pdf")
    assert len(long) < 400 and long.endswith(".pdf")


def test_every_link_expires_and_old_links_expire_after_the_default():
    assert expiry(NOW, None) == NOW + timedelta(days=90)
    assert expiry(NOW, 7) == NOW + timedelta(days=7)
    assert expiry(NOW, None, default_days=10) == NOW + timedelta(days=10)
    made = NOW - timedelta(days=91)
    assert not is_live(None, effective_expiry(None, made), NOW)
    assert is_live(None, effective_expiry(None, NOW - timedelta(days=89)), NOW)
