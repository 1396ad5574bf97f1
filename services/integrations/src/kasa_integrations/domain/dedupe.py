"""When an imported transaction is new, changed or already known.

A transaction is identified by the provider's ``external_id`` within a workspace and plugin.
Its content is the normalized transaction without the provider's raw record (providers add
bookkeeping fields there that do not change the money); the fingerprint is a hash of that
content. Same id and fingerprint: skipped. Same id, other fingerprint: an update naming what
changed. Unknown id: new. Re-reading a page is therefore always safe.
"""

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from kasa_integrations.domain.bank_transaction import BankTransaction


def content_of(tx: BankTransaction) -> dict[str, Any]:
    """The normalized transaction without the provider's raw record."""
    return tx.model_dump(mode="json", exclude={"raw"})


def fingerprint(tx: BankTransaction) -> str:
    return hashlib.sha256(json.dumps(content_of(tx), sort_keys=True).encode()).hexdigest()


@dataclass(frozen=True)
class Known:
    """What was imported before under one external id."""

    fingerprint: str
    content: dict[str, Any]


@dataclass(frozen=True)
class New:
    tx: BankTransaction
    fingerprint: str
    content: dict[str, Any]


@dataclass(frozen=True)
class Changed:
    tx: BankTransaction
    fingerprint: str
    content: dict[str, Any]
    before: dict[str, Any]
    stored: bool
    """False when the earlier version is new in this same page (not stored yet)."""


@dataclass
class PagePlan:
    """What one page of transactions does to the imported records, in the page's order."""

    decisions: list[New | Changed] = field(default_factory=list)
    skipped: int = 0
    processed: int = 0

    @property
    def new(self) -> list[New]:
        return [d for d in self.decisions if isinstance(d, New)]

    @property
    def changed(self) -> list[Changed]:
        return [d for d in self.decisions if isinstance(d, Changed)]

    @property
    def counts(self) -> dict[str, int]:
        return {
            "processed": self.processed,
            "created": len(self.new),
            "updated": len(self.changed),
            "skipped": self.skipped,
        }

    def records_to_insert(self) -> list[New]:
        """Each id new in this page once, with its last content in the page."""
        latest: dict[str, New] = {}
        for decision in self.decisions:
            external_id = decision.tx.external_id
            if isinstance(decision, New):
                latest[external_id] = decision
            elif not decision.stored:
                latest[external_id] = New(decision.tx, decision.fingerprint, decision.content)
        return list(latest.values())

    def records_to_update(self) -> list[Changed]:
        """Changes of records stored before this page, in order (the last one wins)."""
        return [c for c in self.changed if c.stored]


def plan_page(batch: Iterable[BankTransaction], known: Mapping[str, Known]) -> PagePlan:
    """Classify a page against what is ``known`` (by external id)."""
    plan = PagePlan()
    seen: dict[str, Known] = dict(known)
    for tx in batch:
        plan.processed += 1
        print_, content = fingerprint(tx), content_of(tx)
        previous = seen.get(tx.external_id)
        if previous is not None and previous.fingerprint == print_:
            plan.skipped += 1
            continue
        seen[tx.external_id] = Known(print_, content)
        if previous is None:
            plan.decisions.append(New(tx, print_, content))
        else:
            plan.decisions.append(
                Changed(
                    tx, print_, content, before=previous.content, stored=tx.external_id in known
                )
            )
    return plan
