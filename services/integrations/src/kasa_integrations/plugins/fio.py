"""Fio banka REST API (JSON format).

The first sync reads the last ``initial_days``; later syncs read from the last booked date minus
``overlap_days`` (Fio may book a movement with an earlier date after the fact) and the platform
dedupes on the movement id (``column22``). Fio answers 409 when a token is used twice within
30 seconds: the run waits and retries, a bounded number of times, and records the waits.
"""

import asyncio
import json
import re
from collections.abc import AsyncIterator
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import httpx
from pydantic import BaseModel, ConfigDict, Field

from kasa_contracts.events.integrations import BankAccountRef
from kasa_integrations.plugins.base import (
    BankTransaction,
    Plugin,
    RateLimit,
    SyncContext,
    SyncError,
)

DEFAULT_BASE_URL = "https://fioapi.fio.cz/v1/rest"
_SYMBOL = re.compile(r"^\d{1,10}$")


class FioSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    initial_days: int = Field(
        default=90, ge=1, le=3650, description="How far back the first sync reads"
    )
    overlap_days: int = Field(
        default=10, ge=0, le=90, description="Days re-read before the last booked date"
    )


class FioCredentials(BaseModel):
    model_config = ConfigDict(extra="forbid")

    token: str = Field(
        min_length=64,
        max_length=64,
        pattern=r"^[A-Za-z0-9]{64}$",
        description="The 64-character API token from Fio internet banking",
        json_schema_extra={"format": "password", "writeOnly": True},
    )


def _value(record: dict[str, Any], column: int) -> Any:
    cell = record.get(f"column{column}")
    return cell.get("value") if isinstance(cell, dict) else None


def _text(record: dict[str, Any], column: int) -> str | None:
    value = _value(record, column)
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def _symbol(record: dict[str, Any], column: int) -> str | None:
    text = _text(record, column)
    return text if text and _SYMBOL.match(text) else None


def _plain(value: Any) -> Any:
    return format(value, "f") if isinstance(value, Decimal) else value


def parse_statement(body: bytes) -> tuple[BankAccountRef, list[BankTransaction], int]:
    """The account and the transactions of one Fio JSON statement (amounts parsed exactly).

    Returns also how many movements had a zero amount (not money movements; left out).
    """
    try:
        data = json.loads(body, parse_float=Decimal)
        statement = data["accountStatement"]
        info = statement["info"]
    except (ValueError, KeyError, TypeError) as exc:
        raise SyncError("Fio answered with a document that is not a statement") from exc
    account_id = str(info.get("accountId") or "")
    bank_id = info.get("bankId")
    account = BankAccountRef(
        provider_account_id=account_id or "fio",
        iban=info.get("iban"),
        account_number=f"{account_id}/{bank_id}" if account_id and bank_id else None,
        currency=info.get("currency") or "CZK",
    )
    records = ((statement.get("transactionList") or {}).get("transaction")) or []
    transactions, zero = [], 0
    for record in records:
        movement_id = _value(record, 22)
        amount = _value(record, 1)
        booked = _text(record, 0)
        if movement_id is None or amount is None or booked is None:
            raise SyncError("Fio sent a movement without id, amount or date")
        amount = Decimal(str(amount))
        if amount == 0:
            zero += 1
            continue
        counter_account, bank_code = _text(record, 2), _text(record, 3)
        raw = {
            cell.get("name") or key: _plain(cell.get("value"))
            for key, cell in record.items()
            if isinstance(cell, dict)
        }
        transactions.append(
            BankTransaction(
                account=account,
                external_id=str(movement_id),
                booking_date=date.fromisoformat(booked[:10]),
                amount=abs(amount),
                direction="income" if amount > 0 else "expense",
                currency=_text(record, 14) or account.currency,
                counterparty_name=_text(record, 10),
                counterparty_account=(
                    f"{counter_account}/{bank_code}"
                    if counter_account and bank_code
                    else counter_account
                ),
                message=_text(record, 16) or _text(record, 7),
                reference=_text(record, 27),
                constant_symbol=_symbol(record, 4),
                variable_symbol=_symbol(record, 5),
                specific_symbol=_symbol(record, 6),
                raw={
                    **raw,
                    "type": _text(record, 8),
                    "user_identification": _text(record, 7),
                    "comment": _text(record, 25),
                    "bic": _text(record, 26),
                },
            )
        )
    return account, transactions, zero


class FioBank(Plugin):
    name = "fio"
    version = "1.0.0"
    display_name = "Fio banka"
    description = "Reads movements of a Fio banka account through its REST API (JSON)."
    Settings = FioSettings
    Credentials = FioCredentials
    rate_limits = (RateLimit(requests=1, per_seconds=30, scope="credentials"),)

    def __init__(
        self,
        base_url: str = DEFAULT_BASE_URL,
        *,
        rate_limit_wait_s: float = 30.0,
        max_attempts: int = 3,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.rate_limit_wait_s = rate_limit_wait_s
        self.max_attempts = max_attempts

    def _start(self, ctx: SyncContext) -> date:
        settings: FioSettings = ctx.settings
        if ctx.window.start:
            return ctx.window.start
        last = ctx.state.get("last_booked")
        if last:
            return date.fromisoformat(last) - timedelta(days=settings.overlap_days)
        return ctx.window.end - timedelta(days=settings.initial_days)

    async def sync(self, ctx: SyncContext) -> AsyncIterator[BankTransaction]:
        start, end = self._start(ctx), ctx.window.end
        token = ctx.credentials.token
        period = f"{start.isoformat()}/{end.isoformat()}"
        url = f"{self.base_url}/periods/{token}/{period}/transactions.json"
        ctx.metadata["period"] = {"from": start.isoformat(), "to": end.isoformat()}
        response = await self._get(ctx, url)
        _, transactions, zero = parse_statement(response.content)
        ctx.metadata["provider_transactions"] = len(transactions)
        if zero:
            ctx.metadata["zero_amount_movements"] = zero
        ctx.progress(total=len(transactions))
        for tx in sorted(transactions, key=lambda t: (t.booking_date, t.external_id)):
            yield tx
            last = ctx.state.get("last_booked")
            if last is None or tx.booking_date.isoformat() > last:
                ctx.state["last_booked"] = tx.booking_date.isoformat()

    async def _get(self, ctx: SyncContext, url: str) -> httpx.Response:
        requests: list[dict[str, Any]] = ctx.metadata.setdefault("requests", [])
        waits: list[float] = ctx.metadata.setdefault("rate_limit_waits_s", [])
        for attempt in range(1, self.max_attempts + 1):
            try:
                response = await ctx.http.get(url)
            except httpx.TimeoutException as exc:
                raise SyncError(f"Fio did not answer in time ({type(exc).__name__})") from None
            except httpx.TransportError as exc:
                raise SyncError(f"cannot reach Fio ({type(exc).__name__}: {exc})") from None
            requests.append({"attempt": attempt, "status": response.status_code})
            if response.status_code == 200:
                return response
            if response.status_code == 409:
                if attempt == self.max_attempts:
                    break
                ctx.progress(message="Fio allows one request per token every 30 s; waiting")
                ctx.log.info("fio rate limit hit, waiting %.0f s", self.rate_limit_wait_s)
                waits.append(self.rate_limit_wait_s)
                await asyncio.sleep(self.rate_limit_wait_s)
                continue
            if response.status_code == 422:
                raise SyncError(
                    "Fio refused the period: history older than 90 days needs authorization "
                    "in Fio internet banking; authorize it there or sync a shorter window"
                )
            if response.status_code == 500:
                raise SyncError("Fio rejected the API token: it is invalid or inactive")
            raise SyncError(f"Fio answered HTTP {response.status_code}")
        raise SyncError(
            f"Fio kept refusing with 409 (one request per token every 30 s) after "
            f"{self.max_attempts} attempts"
        )
