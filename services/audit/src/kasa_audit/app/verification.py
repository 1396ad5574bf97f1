"""Verifying trails: walking each workspace's chain from its first entry to its head."""

from uuid import UUID

from kasa_audit.db.chain import Chains
from kasa_audit.domain.chain import GENESIS, ChainWalk


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
