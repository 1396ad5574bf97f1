"""Verifying trails: walking each workspace's chain from its first entry to its head, and
checking its last anchor against the entry it names."""

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from kasa_audit.db.chain import Chains
from kasa_audit.domain.anchors import Anchor, mismatch
from kasa_audit.domain.chain import GENESIS, ChainWalk


@dataclass(frozen=True)
class LastAnchor:
    """The chain head last published as an anchor, and whether the trail still holds it."""

    seq: int
    hash: str
    anchored_at: datetime
    holds: bool
    """The entry at ``seq`` is there with the anchored hash."""


async def verify_workspace(chains: Chains, workspace_id: UUID) -> ChainWalk:
    """The walk of one workspace's chain: how far it holds, and its first break if any."""
    walk = ChainWalk()
    async for row in chains.entries(workspace_id):
        if not walk.step(row, row["prev_hash"], row["hash"]):
            break
    head = await chains.head(workspace_id)
    walk.finish(head.seq if head else 0, head.hash if head else GENESIS)
    return walk


async def verify_workspaces(chains: Chains, workspace_id: UUID | None) -> dict[UUID, ChainWalk]:
    """One workspace, or every workspace that has a trail."""
    workspaces = [workspace_id] if workspace_id else await chains.workspaces()
    return {w: await verify_workspace(chains, w) for w in workspaces}


async def last_anchor(chains: Chains, workspace_id: UUID) -> LastAnchor | None:
    """The workspace's last anchor as audit recorded it, checked against the stored entry.

    The anchor that proves the trail is the published message, outside this database
    (``kasa audit verify --anchors`` checks those); this is the one the workspace can see.
    """
    recorded = await chains.last_anchor(workspace_id)
    if recorded is None:
        return None
    anchor = Anchor(workspace_id, recorded.seq, recorded.hash)
    stored = (await chains.entries_at([(workspace_id, recorded.seq)])).get(
        (workspace_id, recorded.seq)
    )
    holds = mismatch(anchor, stored) is None
    return LastAnchor(recorded.seq, recorded.hash, recorded.anchored_at, holds)
