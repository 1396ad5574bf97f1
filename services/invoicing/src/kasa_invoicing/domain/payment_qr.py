"""Payment QR payloads: EPC (SEPA credit transfer, EUR) and SPAYD (Czech QR Platba, CZK).

EPC follows EPC069-12: LF-separated lines ``BCD``, version, charset (1 = UTF-8), ``SCT``, BIC,
beneficiary name (≤ 70), IBAN, ``EUR`` amount, purpose, structured reference (≤ 35) or
unstructured remittance (≤ 140), and trailing empty lines are left out.

SPAYD follows SPD 1.0: ``SPD*1.0*KEY:VALUE…`` with the keys in the order of the specification's
examples (``ACC``, ``AM``, ``CC``, ``MSG``, ``X-VS``), ``*``, ``+`` and ``%`` percent-escaped in
free text, upper-case text without diacritics (what Czech banking apps read most reliably), and
a closing ``CRC32`` over the pairs sorted by key.
"""

import unicodedata
import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Protocol

import segno

from kasa_invoicing.domain.errors import Conflict, Invalid
from kasa_invoicing.domain.lifecycle import AWAITING_PAYMENT

EPC_MAX_BYTES = 331
_EPC_MAX = Decimal("999999999.99")
_SPAYD_ESCAPES = (("%", "%25"), ("*", "%2A"), ("+", "%2B"))


_MESSAGE = {"cs": "Faktura", "en": "Invoice"}


class QrRefused(Invalid, ValueError):
    """The payment cannot be put in this QR format; the message says why."""


class NothingToPay(Conflict):
    """The invoice awaits no payment, or cannot say where a payment should go."""


def _amount_text(amount: Decimal) -> str:
    """``12.30`` → ``12.3``; ``100`` → ``100``: at most two decimals, no trailing zeros."""
    text = format(amount.quantize(Decimal("0.01")), "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def epc_payload(
    *,
    name: str,
    iban: str,
    amount: Decimal,
    bic: str | None = None,
    remittance: str | None = None,
    reference: str | None = None,
    purpose: str | None = None,
    charset: int = 1,
) -> str:
    """The text of an EPC QR code (version 002) for a euro credit transfer."""
    if not Decimal("0.01") <= amount <= _EPC_MAX:
        raise QrRefused("an EPC payment must be between EUR 0.01 and EUR 999,999,999.99")
    if amount != amount.quantize(Decimal("0.01")):
        raise QrRefused("an EPC amount has at most two decimals")
    if remittance and reference:
        raise QrRefused("EPC carries a structured reference or a remittance text, not both")
    lines = [
        "BCD",
        "002",
        str(charset),
        "SCT",
        bic or "",
        name[:70],
        iban,
        f"EUR{_amount_text(amount)}",
        purpose or "",
        (reference or "")[:35],
        (remittance or "")[:140],
    ]
    while lines[-1] == "":
        lines.pop()
    payload = "\n".join(lines)
    encoding = "utf-8" if charset == 1 else "iso-8859-1"
    if len(payload.encode(encoding)) > EPC_MAX_BYTES:
        raise QrRefused(f"an EPC payload is at most {EPC_MAX_BYTES} bytes")
    return payload


def spayd_text(value: str, limit: int) -> str:
    """Free text for SPAYD: upper case, no diacritics, ISO-8859-1 only, escaped, cut to fit."""
    plain = unicodedata.normalize("NFKD", value)
    plain = "".join(ch for ch in plain if not unicodedata.combining(ch)).upper()
    plain = plain.encode("iso-8859-1", "ignore").decode("iso-8859-1")[:limit]
    for raw, escaped in _SPAYD_ESCAPES:
        plain = plain.replace(raw, escaped)
    return plain


def spayd_crc32(pairs: list[tuple[str, str]]) -> str:
    """CRC32 of the pairs sorted by key, as SPD 1.0 defines it: 8 upper-case hex digits."""
    canonical = "SPD*1.0*" + "*".join(f"{k}:{v}" for k, v in sorted(pairs) if k != "CRC32")
    return f"{zlib.crc32(canonical.encode('iso-8859-1')):08X}"


def spayd_payload(
    *,
    iban: str,
    amount: Decimal,
    currency: str = "CZK",
    bic: str | None = None,
    variable_symbol: str | None = None,
    message: str | None = None,
    with_crc: bool = True,
) -> str:
    """The text of a SPAYD (QR Platba) code."""
    if amount <= 0:
        raise QrRefused("a SPAYD payment needs a positive amount")
    amount_text = format(amount.quantize(Decimal("0.01")), "f")
    if len(amount_text) > 10:
        raise QrRefused("a SPAYD amount has at most 10 characters")
    if variable_symbol is not None and not (
        variable_symbol.isdigit() and len(variable_symbol) <= 10
    ):
        raise QrRefused("a variable symbol is at most 10 digits")
    pairs = [("ACC", f"{iban}+{bic}" if bic else iban), ("AM", amount_text), ("CC", currency)]
    if message:
        pairs.append(("MSG", spayd_text(message, 60)))
    if variable_symbol:
        pairs.append(("X-VS", variable_symbol))
    if with_crc:
        pairs.append(("CRC32", spayd_crc32(pairs)))
    return "SPD*1.0*" + "*".join(f"{k}:{v}" for k, v in pairs)


def qr_code(payload: str, *, charset: str = "utf-8") -> segno.QRCode:
    """The QR symbol for a payload, error correction M as EPC requires, bytes in ``charset``."""
    return segno.make_qr(payload.encode(charset), error="m", boost_error=False)


@dataclass(frozen=True)
class PaymentQr:
    kind: str
    """``epc`` or ``spayd``."""
    payload: str
    code: segno.QRCode


class PayableInvoice(Protocol):
    """What a payment QR code is made of."""

    @property
    def status(self) -> str: ...
    @property
    def currency(self) -> str: ...
    @property
    def language(self) -> str: ...
    @property
    def number(self) -> str | None: ...
    @property
    def variable_symbol(self) -> str | None: ...
    @property
    def supplier(self) -> Mapping[str, Any]: ...
    @property
    def total(self) -> Decimal: ...
    @property
    def paid_total(self) -> Decimal: ...


def invoice_qr(invoice: PayableInvoice) -> PaymentQr:
    """The QR code that pays what is still owed on ``invoice``: EPC for euros, SPAYD for crowns.

    ``NothingToPay`` when nothing is awaited or the supplier had no IBAN; ``QrRefused`` when
    the amount or the currency cannot be carried.
    """
    if invoice.status not in AWAITING_PAYMENT:
        raise NothingToPay(
            "issue the invoice first: a payment QR code carries its number"
            if invoice.status == "draft"
            else f"the invoice is {invoice.status}; nothing is to be paid"
        )
    iban = invoice.supplier.get("iban")
    if not iban:
        raise NothingToPay("the supplier profile had no IBAN when the invoice was issued")
    assert invoice.number is not None
    amount = max(invoice.total - invoice.paid_total, Decimal(0))
    if invoice.currency == "EUR":
        payload = epc_payload(
            name=str(invoice.supplier.get("name", "")),
            iban=iban,
            bic=invoice.supplier.get("bic"),
            amount=amount,
            remittance=invoice.number,
        )
        return PaymentQr("epc", payload, qr_code(payload, charset="utf-8"))
    if invoice.currency == "CZK":
        payload = spayd_payload(
            iban=iban,
            amount=amount,
            currency="CZK",
            variable_symbol=invoice.variable_symbol,
            message=f"{_MESSAGE.get(invoice.language, 'Invoice')} {invoice.number}",
        )
        return PaymentQr("spayd", payload, qr_code(payload, charset="iso-8859-1"))
    raise QrRefused(
        f"payment QR codes exist for EUR (EPC, SEPA credit transfer) and CZK (SPAYD, "
        f"Czech QR Platba); banks read no standard QR payment in {invoice.currency}"
    )


def optional_qr(invoice: PayableInvoice) -> PaymentQr | None:
    """The payment QR code when the invoice can be paid by one, else none (no error)."""
    try:
        return invoice_qr(invoice)
    except (NothingToPay, QrRefused):
        return None
