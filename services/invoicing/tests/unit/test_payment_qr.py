"""Payment QR payloads against the specifications' examples, decoded from the image."""

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
