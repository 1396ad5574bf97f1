"""The per-workspace hash chain that makes the trail tamper-evident. No I/O.

Each entry's ``hash`` is sha256 over the previous entry's hash followed by the canonical
encoding of the entry's own fields. Changing, removing or reordering any stored entry breaks
the chain at that entry, and :class:`ChainWalk` names the first one that does not hold.
"""

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

GENESIS = "0" * 64
"""The ``prev_hash`` of a workspace's first entry."""

HASHED_FIELDS = (
    "id",
    "event_id",
    "workspace_id",
    "seq",
    "occurred_at",
    "recorded_at",
    "event_type",
    "event_version",
    "service",
    "actor_type",
    "actor_id",
    "actor_name",
    "source",
    "source_plugin",
    "entity_type",
    "entity_id",
    "action",
    "changes",
    "correlation_id",
    "causation_id",
    "trace_id",
)
"""Every stored field of an entry except the chain links themselves."""


def _plain(value: Any) -> Any:
    if isinstance(value, UUID):
        return str(value)
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat(timespec="microseconds")
    raise TypeError(f"{type(value).__name__} has no canonical encoding")


def canonical(fields: Mapping[str, Any]) -> bytes:
    """A byte-stable encoding of an entry: sorted keys, no whitespace, UTC timestamps."""
    chosen = {name: fields[name] for name in HASHED_FIELDS}
    return json.dumps(
        chosen, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=_plain
    ).encode()


def link(prev_hash: str, fields: Mapping[str, Any]) -> str:
    """The hash of an entry that follows ``prev_hash``."""
    return hashlib.sha256(prev_hash.encode() + canonical(fields)).hexdigest()


@dataclass(frozen=True)
class Broken:
    """The first entry at which the chain does not hold, and why."""

    seq: int
    reason: str
    id: UUID | None = None
    event_id: UUID | None = None


class ChainWalk:
    """Checks a workspace's entries fed in ``seq`` order, stopping at the first break."""

    def __init__(self) -> None:
        self.checked = 0
        self.broken: Broken | None = None
        self._expected_seq = 1
        self._prev_hash = GENESIS

    def step(self, fields: Mapping[str, Any], prev_hash: str, stored_hash: str) -> bool:
        """Check the next entry; False once the chain is broken."""
        if self.broken:
            return False
        seq = int(fields["seq"])
        ids = {"id": fields.get("id"), "event_id": fields.get("event_id")}
        if seq != self._expected_seq:
            # A gap means entries were removed; a repeat or step back means reordering.
            reason = "missing" if seq > self._expected_seq else "out of order"
            if seq > self._expected_seq:
                self.broken = Broken(self._expected_seq, reason)
            else:
                self.broken = Broken(seq, reason, **ids)
            return False
        self.checked += 1
        if prev_hash != self._prev_hash:
            self.broken = Broken(seq, "previous hash does not match", **ids)
        elif link(prev_hash, fields) != stored_hash:
            self.broken = Broken(seq, "content does not match its hash", **ids)
        if self.broken:
            return False
        self._expected_seq += 1
        self._prev_hash = stored_hash
        return True

    def finish(self, head_seq: int | None, head_hash: str | None) -> None:
        """Compare the end of the walk with the recorded head (catches a removed tail)."""
        if self.broken or head_seq is None:
            return
        last_seq = self._expected_seq - 1
        if head_seq > last_seq:
            self.broken = Broken(last_seq + 1, "missing")
        elif head_seq != last_seq or head_hash != self._prev_hash:
            self.broken = Broken(last_seq, "chain head does not match the last entry")

    @property
    def ok(self) -> bool:
        return self.broken is None
