"""ISO 20022 bank-to-customer statements (camt.053.001.02 and .001.08), uploaded as files.

Only booked entries are imported. The file is parsed without DTDs or entities, so an
entity-expansion ("billion laughs") or external-entity file is refused before anything happens.
"""

import asyncio
import hashlib
import re
from collections.abc import AsyncIterator
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring
from pydantic import ValidationError

from kasa_contracts.events.integrations import BankAccountRef
from kasa_integrations.plugins.base import (
    BankTransaction,
    Plugin,
    SyncContext,
    UploadRejectedError,
)

NAMESPACE = "urn:iso:std:iso:20022:tech:xsd:"
VERSIONS = ("camt.053.001.02", "camt.053.001.08")
_SYMBOL = {
    "variable_symbol": re.compile(r"\bVS[:\s/]*(\d{1,10})\b"),
    "constant_symbol": re.compile(r"\bKS[:\s/]*(\d{1,10})\b"),
    "specific_symbol": re.compile(r"\bSS[:\s/]*(\d{1,10})\b"),
}


class _Doc:
    """Namespace-aware lookups in one statement document."""

    def __init__(self, namespace: str) -> None:
        self.ns = {"c": namespace}

    def find(self, node: Element | None, path: str) -> Element | None:
        if node is None:
            return None
        return node.find("/".join(f"c:{p}" for p in path.split("/")), self.ns)

    def findall(self, node: Element, path: str) -> list[Element]:
        return node.findall("/".join(f"c:{p}" for p in path.split("/")), self.ns)

    def text(self, node: Element | None, *paths: str) -> str | None:
        for path in paths:
            found = self.find(node, path)
            if found is not None and found.text and found.text.strip():
                return found.text.strip()
        return None


def parse(content: bytes) -> tuple[str, Element]:
    """The message type and root of a camt.053 file, or ``UploadRejectedError`` saying why."""
    try:
        root = fromstring(content, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException:
        raise UploadRejectedError(
            "the file declares a DTD or entities, which are refused to prevent "
            "entity-expansion attacks; nothing was imported"
        ) from None
    except (ParseError, ValueError) as exc:
        raise UploadRejectedError(
            f"the file is not well-formed XML ({exc}); nothing was imported"
        ) from None
    tag = root.tag
    namespace = tag[1:].split("}", 1)[0] if tag.startswith("{") else ""
    message = namespace.removeprefix(NAMESPACE)
    if not namespace.startswith(NAMESPACE) or message not in VERSIONS:
        raise UploadRejectedError(
            f"the file is a {message or 'non-ISO 20022'} document, not a camt.053 statement "
            f"({' or '.join(VERSIONS)}); nothing was imported"
        )
    return message, root


def _date(doc: _Doc, node: Element | None, path: str) -> date | None:
    value = doc.text(node, f"{path}/Dt", f"{path}/DtTm")
    return date.fromisoformat(value[:10]) if value else None


def _party(doc: _Doc, details: Element | None, role: str) -> tuple[str | None, str | None]:
    parties = doc.find(details, "RltdPties")
    # .02 names the party directly, .08 wraps it in Pty.
    name = doc.text(parties, f"{role}/Nm", f"{role}/Pty/Nm")
    account = doc.text(parties, f"{role}Acct/Id/IBAN", f"{role}Acct/Id/Othr/Id")
    return name, account


def statement_transactions(content: bytes) -> tuple[str, list[BankTransaction], int]:
    """Every booked entry of the file as a transaction, and how many entries were not booked."""
    message, root = parse(content)
    doc = _Doc(root.tag[1:].split("}", 1)[0])
    report = doc.find(root, "BkToCstmrStmt")
    statements = doc.findall(report, "Stmt") if report is not None else []
    if not statements:
        raise UploadRejectedError("the file holds no statement; nothing was imported")
    transactions: list[BankTransaction] = []
    not_booked = 0
    for statement in statements:
        iban = doc.text(statement, "Acct/Id/IBAN")
        other = doc.text(statement, "Acct/Id/Othr/Id")
        account_currency = doc.text(statement, "Acct/Ccy")
        for index, entry in enumerate(doc.findall(statement, "Ntry")):
            status = doc.text(entry, "Sts/Cd", "Sts")
            if status != "BOOK":
                not_booked += 1
                continue
            try:
                transactions.append(
                    _entry(doc, entry, index, iban, other, account_currency, message)
                )
            except ValidationError as exc:
                raise UploadRejectedError(
                    f"entry {index + 1} cannot be imported ({_problems(exc)}); nothing was imported"
                ) from None
    return message, transactions, not_booked


def _problems(exc: ValidationError) -> str:
    # The fields and rules only: pydantic's own text would echo the values.
    return "; ".join(
        f"{'.'.join(str(part) for part in error['loc'])}: {error['msg']}" for error in exc.errors()
    )


def _entry(
    doc: _Doc,
    entry: Element,
    index: int,
    iban: str | None,
    other: str | None,
    account_currency: str | None,
    message: str,
) -> BankTransaction:
    amount_node = doc.find(entry, "Amt")
    try:
        amount = Decimal((amount_node.text or "").strip()) if amount_node is not None else None
    except InvalidOperation:
        amount = None
    indicator = doc.text(entry, "CdtDbtInd")
    booked = _date(doc, entry, "BookgDt")
    if amount is None or amount <= 0 or indicator not in ("CRDT", "DBIT") or booked is None:
        raise UploadRejectedError(
            f"entry {index + 1} lacks a positive amount, CdtDbtInd or booking date; "
            "nothing was imported"
        )
    currency = (amount_node.get("Ccy") if amount_node is not None else None) or account_currency
    details = doc.find(entry, "NtryDtls/TxDtls")
    income = indicator == "CRDT"
    name, counter_account = _party(doc, details, "Dbtr" if income else "Cdtr")
    unstructured = [
        n.text.strip()
        for n in (doc.findall(details, "RmtInf/Ustrd") if details is not None else [])
        if n.text and n.text.strip()
    ]
    structured = doc.text(details, "RmtInf/Strd/CdtrRefInf/Ref")
    end_to_end = doc.text(details, "Refs/EndToEndId")
    if end_to_end == "NOTPROVIDED":
        end_to_end = None
    bank_ref = doc.text(entry, "AcctSvcrRef") or doc.text(details, "Refs/AcctSvcrRef")
    account_key = iban or other or "unknown"
    external = bank_ref or doc.text(entry, "NtryRef")
    if not external:
        # No reference from the bank: the entry's content identifies it within the account.
        basis = f"{account_key}|{booked}|{amount}|{indicator}|{end_to_end}|{unstructured}|{index}"
        external = "sha256:" + hashlib.sha256(basis.encode()).hexdigest()[:32]
    text = " ".join([*unstructured, end_to_end or "", structured or ""])
    symbols = {
        field: (m.group(1) if (m := rx.search(text)) else None) for field, rx in _SYMBOL.items()
    }
    if (
        symbols["variable_symbol"] is None
        and structured
        and structured.isdigit()
        and len(structured) <= 10
    ):
        symbols["variable_symbol"] = structured
    raw: dict[str, Any] = {
        "message_type": message,
        "entry_ref": doc.text(entry, "NtryRef"),
        "account_servicer_ref": bank_ref,
        "end_to_end_id": end_to_end,
        "bank_transaction_code": doc.text(entry, "BkTxCd/Domn/Cd"),
        "additional_info": doc.text(entry, "AddtlNtryInf"),
    }
    return BankTransaction(
        account=BankAccountRef(
            provider_account_id=account_key,
            iban=iban,
            account_number=other,
            currency=account_currency or currency or "EUR",
        ),
        external_id=f"{account_key}:{external}"[:200],
        booking_date=booked,
        value_date=_date(doc, entry, "ValDt"),
        amount=amount,
        direction="income" if income else "expense",
        currency=currency or "EUR",
        counterparty_name=name,
        counterparty_account=counter_account,
        message=" ".join(unstructured) or doc.text(entry, "AddtlNtryInf"),
        reference=structured or end_to_end,
        raw={k: v for k, v in raw.items() if v is not None},
        **symbols,
    )


class Camt053Statement(Plugin):
    name = "camt053"
    version = "1.0.0"
    display_name = "ISO 20022 statement (camt.053)"
    description = "Imports booked entries of an uploaded camt.053.001.02 or .001.08 statement."
    accepts_upload = True

    def check_upload(self, content: bytes) -> dict[str, Any]:
        message, transactions, not_booked = statement_transactions(content)
        return {
            "message_type": message,
            "booked_entries": len(transactions),
            "entries_not_booked": not_booked,
        }

    async def sync(self, ctx: SyncContext) -> AsyncIterator[BankTransaction]:
        if ctx.upload is None:
            raise UploadRejectedError("camt053 reads an uploaded statement")
        # A statement of many megabytes parses for seconds: not on the event loop.
        message, transactions, not_booked = await asyncio.to_thread(
            statement_transactions, ctx.upload
        )
        ctx.metadata["message_type"] = message
        ctx.metadata["entries_not_booked"] = not_booked
        ctx.progress(total=len(transactions))
        for tx in transactions:
            yield tx
