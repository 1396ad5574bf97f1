"""Bank identifiers: IBAN (ISO 13616, mod-97 check) and BIC (ISO 9362)."""

import re

_IBAN_SHAPE = re.compile(r"^[A-Z]{2}\d{2}[A-Z0-9]{11,30}$")
_BIC_SHAPE = re.compile(r"^[A-Z]{4}[A-Z]{2}[A-Z0-9]{2}([A-Z0-9]{3})?$")


def normalize_iban(value: str) -> str:
    """Upper case without the spaces people write IBANs with."""
    return re.sub(r"\s+", "", value).upper()


def iban_is_valid(value: str) -> bool:
    """True when ``value`` has the IBAN shape and its check digits hold (mod 97 == 1)."""
    iban = normalize_iban(value)
    if not _IBAN_SHAPE.match(iban):
        return False
    rearranged = iban[4:] + iban[:4]
    digits = "".join(str(int(ch, 36)) for ch in rearranged)
    return int(digits) % 97 == 1


def bic_is_valid(value: str) -> bool:
    """True for an 8- or 11-character BIC."""
    return bool(_BIC_SHAPE.match(value.strip().upper()))
