"""Payment QR codes: payloads against the specifications' examples, decoded from the image."""

import io
from decimal import Decimal

import pytest
from PIL import Image

from kasa_invoicing.domain.payment_qr import (
    QrRefused,
    epc_payload,
    qr_code,
    spayd_crc32,
    spayd_payload,
)

zxingcpp = pytest.importorskip("zxingcpp", reason="the QR decoder is a test dependency")

EPC_EXAMPLE_1 = (
    "BCD\n002\n1\nSCT\nBHBLDEHHXXX\nFranz Mustermänn\nDE71110220330123456789\nEUR12.3\nGDDS\n"
    "RF18539007547034"
)
EPC_EXAMPLE_2 = (
    "BCD\n002\n2\nSCT\n\nFrançois D'Alsace S.A.\nFR1420041010050500013M02606\nEUR12.3\n\n\n"
    "Client:Marie Louise La Lune"
)
SPAYD_EXAMPLE = (
    "SPD*1.0*ACC:CZ2806000000000168540115*AM:450.00*CC:CZK*MSG:PLATBA ZA ZBOZI*X-VS:1234567890"
)


def decode(png: bytes, charset: str) -> str:
    [result] = zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))
    return result.bytes.decode(charset)


def png_of(code) -> bytes:
    buffer = io.BytesIO()
    code.save(buffer, kind="png", scale=4)
    return buffer.getvalue()


def test_epc_payloads_are_the_specification_examples():
    first = epc_payload(
        name="Franz Mustermänn",
        iban="DE71110220330123456789",
        amount=Decimal("12.30"),
        bic="BHBLDEHHXXX",
        purpose="GDDS",
        reference="RF18539007547034",
    )
    assert first == EPC_EXAMPLE_1 and len(first.encode()) == 96
    second = epc_payload(
        name="François D'Alsace S.A.",
        iban="FR1420041010050500013M02606",
        amount=Decimal("12.3"),
        remittance="Client:Marie Louise La Lune",
        charset=2,
    )
    assert second == EPC_EXAMPLE_2 and len(second.encode("iso-8859-1")) == 103
    assert decode(png_of(qr_code(first)), "utf-8") == EPC_EXAMPLE_1
    assert decode(png_of(qr_code(second, charset="iso-8859-1")), "iso-8859-1") == EPC_EXAMPLE_2
    assert qr_code(first).error == "M"


def test_epc_refuses_what_the_standard_does_not_allow():
    base = {"name": "A", "iban": "DE89370400440532013000"}
    for amount in ("0", "1000000000", "1.005"):
        with pytest.raises(QrRefused):
            epc_payload(**base, amount=Decimal(amount))
    with pytest.raises(QrRefused):
        epc_payload(**base, amount=Decimal(1), remittance="x", reference="RF18539007547034")


def test_spayd_payload_crc_and_escaping():
    assert (
        spayd_payload(
            iban="CZ2806000000000168540115",
            amount=Decimal("450"),
            message="Platba za zboží",
            variable_symbol="1234567890",
            with_crc=False,
        )
        == SPAYD_EXAMPLE
    )
    pairs = [("ACC", "CZ5855000000001265098001"), ("AM", "100.00"), ("CC", "CZK")]
    assert spayd_crc32(pairs) == "AAD80227"
    with_crc = spayd_payload(
        iban="CZ5855000000001265098001",
        amount=Decimal("480.50"),
        message="PLATBA ZA ZBOZI",
        variable_symbol="1234567890",
    )
    assert with_crc.endswith("*X-VS:1234567890*CRC32:1658B5B8")
    escaped = spayd_payload(
        iban="CZ5855000000001265098001", amount=Decimal(1), message="50% *sleva* +1", with_crc=False
    )
    assert escaped.endswith("*MSG:50%25 %2ASLEVA%2A %2B1")
    assert decode(png_of(qr_code(SPAYD_EXAMPLE, charset="iso-8859-1")), "iso-8859-1") == (
        SPAYD_EXAMPLE
    )


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
