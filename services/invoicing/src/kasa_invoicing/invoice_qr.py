"""The payment QR code of an invoice: EPC for euros, SPAYD for Czech crowns."""

from dataclasses import dataclass
from decimal import Decimal

import segno

from kasa_invoicing.db.tables import Invoice
from kasa_invoicing.domain.lifecycle import AWAITING_PAYMENT
from kasa_invoicing.domain.payment_qr import QrRefused, epc_payload, qr_code, spayd_payload
from kasa_servicekit.problems import ProblemError

_MESSAGE = {"cs": "Faktura", "en": "Invoice"}


@dataclass(frozen=True)
class PaymentQr:
    kind: str
    """``epc`` or ``spayd``."""
    payload: str
    code: segno.QRCode


def payment_qr(invoice: Invoice) -> PaymentQr:
    """The QR code that pays what is still owed on ``invoice``; a problem when there is none."""
    if invoice.status not in AWAITING_PAYMENT:
        detail = (
            "issue the invoice first: a payment QR code carries its number"
            if invoice.status == "draft"
            else f"the invoice is {invoice.status}; nothing is to be paid"
        )
        raise ProblemError(409, "Conflict", detail)
    iban = invoice.supplier.get("iban")
    if not iban:
        raise ProblemError(
            409, "Conflict", "the supplier profile had no IBAN when the invoice was issued"
        )
    assert invoice.number is not None
    amount = max(invoice.total - invoice.paid_total, Decimal(0))
    try:
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
    except QrRefused as exc:
        raise ProblemError(422, "Unprocessable Content", str(exc)) from exc
    raise ProblemError(
        422,
        "Unprocessable Content",
        f"payment QR codes exist for EUR (EPC, SEPA credit transfer) and CZK (SPAYD, "
        f"Czech QR Platba); banks read no standard QR payment in {invoice.currency}",
    )
