"""In-memory stand-ins for audit's stores, and envelopes as producers publish them."""

import json
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any
from uuid import UUID, uuid4

from kasa_audit.consumers.every_event import parse
from kasa_audit.domain.anchors import Anchor, StoredEntry
from kasa_audit.domain.chain import GENESIS
from kasa_audit.domain.entries import ArchivedEnvelope


def envelope(
    event_type: str, workspace_id: UUID, payload: dict[str, Any] | None = None
) -> ArchivedEnvelope:
    return parse(
        json.dumps(
            {
                "event_id": str(uuid4()),
                "event_type": event_type,
                "event_version": 1,
                "occurred_at": datetime.now(UTC).isoformat(),
                "producer": event_type.split(".")[0],
                "workspace_id": str(workspace_id),
                "actor": {"type": "plugin", "id": "fio", "name": "Fio"},
                "correlation_id": "sync-9",
                "payload": payload or {},
            }
        ).encode()
    )


class FakeTrail:
    """``Trail`` over lists: what was archived, the entries, and the heads."""

    def __init__(self) -> None:
        self.archived: list[dict[str, Any]] = []
        self.entries: list[dict[str, Any]] = []
        self.heads: dict[UUID, tuple[int, str]] = {}
        self.locked: list[list[UUID]] = []

    async def archive(self, rows):
        held = {row["event_id"] for row in self.archived}
        new = [row for row in rows if row["event_id"] not in held]
        self.archived += new
        return {row["event_id"] for row in new}

    async def lock_heads(self, workspace_ids):
        wanted = sorted(set(workspace_ids))
        self.locked.append(wanted)
        for ws in wanted:
            self.heads.setdefault(ws, (0, GENESIS))
        return {ws: SimpleNamespace(seq=self.heads[ws][0], hash=self.heads[ws][1]) for ws in wanted}

    async def add_entries(self, rows):
        self.entries += rows

    async def save_heads(self, moved):
        self.heads.update(moved)


class FakeChains:
    """``Chains`` over the entries a ``FakeTrail`` made (or any rows put in)."""

    def __init__(self, entries: list[dict[str, Any]], heads: dict[UUID, tuple[int, str]]) -> None:
        self.rows = entries
        self.heads = heads

    async def entries(self, workspace_id):
        for row in sorted(
            (r for r in self.rows if r["workspace_id"] == workspace_id), key=lambda r: r["seq"]
        ):
            yield row

    async def head(self, workspace_id):
        if workspace_id not in self.heads:
            return None
        seq, hash_ = self.heads[workspace_id]
        return SimpleNamespace(seq=seq, hash=hash_)

    async def workspaces(self):
        return list(self.heads)

    async def entries_at(self, points):
        found = {}
        for row in self.rows:
            point = (row["workspace_id"], row["seq"])
            if point in points:
                found[point] = StoredEntry(row["id"], row["event_id"], row["hash"])
        return found


class FakeAnchors:
    """``Anchors`` over a dict of the last anchor per workspace."""

    session = None

    def __init__(self, heads: dict[UUID, tuple[int, str]]) -> None:
        self.heads = heads
        self.anchored: dict[UUID, tuple[int, str, datetime]] = {}

    async def moved_heads(self, stale_before):
        moved = []
        for ws, (seq, hash_) in sorted(self.heads.items()):
            last = self.anchored.get(ws)
            if seq > 0 and (last is None or last[0] < seq or last[2] < stale_before):
                moved.append(Anchor(ws, seq, hash_))
        return moved

    async def record(self, heads, now, stale_before):
        for head in heads:
            self.anchored[head.workspace_id] = (head.seq, head.hash, now)
        return list(heads)
