"""Payment QR codes of invoices through the real app, decoded from the image."""

import io

import pytest
from PIL import Image

from kasa_invoicing.domain.payment_qr import spayd_crc32

zxingcpp = pytest.importorskip("zxingcpp", reason="the QR decoder is a test dependency")


def decode(png: bytes, charset: str) -> str:
    [result] = zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))
    return result.bytes.decode(charset)


def issued_invoice(owner, currency, rate="1234.50"):
    client_id, project_id = owner.setup_work(currency=currency, rate=rate, language="en")
    entry = owner.add_entry(project_id, "2026-03-02", minutes=60)
    invoice = owner.ok(
        "POST",
        "/api/v1/invoices",
        201,
        json={"client_id": client_id, "work_entry_ids": [entry["id"]]},
    )
    return invoice["id"]


def test_a_euro_invoice_gets_an_epc_code(service, owner):
    invoice_id = issued_invoice(owner, "EUR")
    draft = owner.get(f"/api/v1/invoices/{invoice_id}/payment-qr")
    assert draft.status_code == 409, "a draft has no number to pay against"
    owner.ok("POST", f"/api/v1/invoices/{invoice_id}/issue", json={"issue_date": "2026-03-31"})

    png = owner.get(f"/api/v1/invoices/{invoice_id}/payment-qr", params={"format": "png"})
    assert png.status_code == 200 and png.headers["content-type"] == "image/png"
    assert decode(png.content, "utf-8") == (
        "BCD\n002\n1\nSCT\nGIBACZPX\nJana Nováková\nCZ6508000000192000145399\nEUR1234.5\n\n\n"
        "2026-0001"
    )
    svg = owner.get(f"/api/v1/invoices/{invoice_id}/payment-qr")
    assert svg.headers["content-type"].startswith("image/svg+xml")
    assert svg.text.lstrip().startswith("<svg")
    assert service.member().get(f"/api/v1/invoices/{invoice_id}/payment-qr").status_code == 404


def test_a_crown_invoice_gets_a_spayd_code_for_what_is_still_owed(owner):
    invoice_id = issued_invoice(owner, "CZK", rate="1000")
    owner.ok("POST", f"/api/v1/invoices/{invoice_id}/issue", json={"issue_date": "2026-03-31"})
    png = owner.get(f"/api/v1/invoices/{invoice_id}/payment-qr", params={"format": "png"})
    payload = decode(png.content, "iso-8859-1")
    body = (
        "SPD*1.0*ACC:CZ6508000000192000145399*AM:1000.00*CC:CZK*MSG:INVOICE 2026-0001*X-VS:20260001"
    )
    crc = spayd_crc32([tuple(p.split(":", 1)) for p in body.split("*")[2:]])
    assert payload == f"{body}*CRC32:{crc}"


def test_other_currencies_are_refused_with_the_reason(owner):
    invoice_id = issued_invoice(owner, "USD")
    owner.ok("POST", f"/api/v1/invoices/{invoice_id}/issue", json={"issue_date": "2026-03-31"})
    response = owner.get(f"/api/v1/invoices/{invoice_id}/payment-qr")
    assert response.status_code == 422
    assert "USD" in response.json()["detail"] and "EUR" in response.json()["detail"]
