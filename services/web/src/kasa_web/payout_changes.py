"""Changes to where the money goes, for the owners' notice on the dashboard.

The payout IBAN (and BIC) of the supplier profile is printed on every invoice and QR code, and
a bank plugin's credentials decide which account the books are read from. Whoever changes them
can redirect money, so every owner sees each such change of the last 30 days that someone
else made, read from the audit trail through the public API (email does not exist yet).
"""

import asyncio
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from kasa_web.api_client import Api, ApiProblem, ApiUnavailable

WINDOW = timedelta(days=30)
PAYOUT_FIELDS = ("iban", "bic")
SHOWN = 20


@dataclass(frozen=True)
class PayoutChange:
    """One change the owners are told of: what, by whom, when; credentials never by value."""

    kind: str
    """``payout`` (supplier IBAN/BIC) or ``credentials`` (a bank plugin's)."""
    occurred_at: str
    actor: str
    field: str = ""
    before: str | None = None
    after: str | None = None
    plugin: str = ""


def _actor(entry: dict[str, Any]) -> str:
    actor = entry.get("actor") or {}
    return str(actor.get("name") or actor.get("id") or "")


def payout_changes(entries: list[dict[str, Any]], by_others_than: str = "") -> list[PayoutChange]:
    """The IBAN, BIC and credential changes among audit entries, newest first; an owner is not
    told of their own."""
    found: list[PayoutChange] = []
    for entry in entries:
        if by_others_than and (entry.get("actor") or {}).get("id") == by_others_than:
            continue
        changes = entry.get("changes") or {}
        when, who = str(entry.get("occurred_at", "")), _actor(entry)
        if entry.get("entity_type") == "supplier_profile":
            for name in PAYOUT_FIELDS:
                change = changes.get(name)
                if isinstance(change, dict):
                    before, after = change.get("before"), change.get("after")
                    found.append(
                        PayoutChange(
                            "payout",
                            when,
                            who,
                            field=name,
                            before=None if before is None else str(before),
                            after=None if after is None else str(after),
                        )
                    )
        elif entry.get("entity_type") == "plugin_config":
            if any(str(name).startswith("credentials.") for name in changes):
                plugin = str(entry.get("entity_id") or (entry.get("source") or {}).get("plugin"))
                found.append(PayoutChange("credentials", when, who, plugin=plugin))
    found.sort(key=lambda change: change.occurred_at, reverse=True)
    return found[:SHOWN]


async def recent_payout_changes(
    api: Api, token: str, me: str = "", now: datetime | None = None
) -> list[PayoutChange]:
    """What the owners' notice lists; nothing when the trail cannot be read right now."""
    since = ((now or datetime.now(UTC)) - WINDOW).isoformat()
    queries = [
        {"entity_type": kind, "since": since, "limit": 100}
        for kind in ("supplier_profile", "plugin_config")
    ]
    try:
        pages = await asyncio.gather(
            *(api.json("GET", "/api/v1/audit-events", token, params=q) for q in queries)
        )
    except (ApiProblem, ApiUnavailable):
        # The rest of the dashboard still shows; the trail itself keeps every change.
        return []
    entries = [entry for page in pages for entry in (page or {}).get("items", [])]
    return payout_changes(entries, by_others_than=me)
