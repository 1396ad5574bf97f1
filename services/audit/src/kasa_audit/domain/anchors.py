"""Chain anchors: a workspace's chain head published outside audit's database. No I/O.

An anchor names an entry (workspace, seq) and the hash it had when anchored. If that entry
is gone or hashes differently now, the trail was rewritten after it was anchored. Anchors
are archived but never chained: an anchor entry would move the head it anchors, and the
next anchoring round would anchor that, forever.
"""

from dataclasses import dataclass
from typing import Literal
from uuid import UUID

from kasa_contracts.events.audit import ChainAnchored

ANCHOR_ROUTING_KEY = ChainAnchored.routing_key()


def is_chained(routing_key: str) -> bool:
    """Whether an event gets an entry on the trail (every event but audit's own anchors)."""
    return routing_key != ANCHOR_ROUTING_KEY


@dataclass(frozen=True)
class Anchor:
    workspace_id: UUID
    seq: int
    hash: str


@dataclass(frozen=True)
class StoredEntry:
    """The entry an anchor names, as the trail holds it now."""

    id: UUID
    event_id: UUID
    hash: str


@dataclass(frozen=True)
class Mismatch:
    """An anchor the trail no longer matches."""

    anchor: Anchor
    stored: StoredEntry | None

    @property
    def status(self) -> Literal["differs", "missing"]:
        return "differs" if self.stored else "missing"


def mismatch(anchor: Anchor, stored: StoredEntry | None) -> Mismatch | None:
    """``None`` while the trail still holds the anchored entry unchanged."""
    if stored is not None and stored.hash == anchor.hash:
        return None
    return Mismatch(anchor, stored)
