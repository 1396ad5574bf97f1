"""``GET /api/v1/rate-limits``: where the workspace's members stand against the API limit."""

from uuid import UUID

from fastapi import APIRouter
from pydantic import BaseModel

from kasa_gateway.api.deps import LimitersDep, Store
from kasa_gateway.app import rate_limits
from kasa_servicekit.auth import AdminPrincipal

router = APIRouter(prefix="/api/v1/rate-limits", tags=["workspaces"])


class MemberUsageOut(BaseModel):
    user_id: UUID
    name: str
    used: int
    remaining: int
    reset_after: int
    """Seconds until the current window ends and the budget is whole again."""


class RateLimitOut(BaseModel):
    name: str
    scope: str
    """Who one budget belongs to: ``user``, each signed-in person."""
    limit: int
    window_seconds: int
    members: list[MemberUsageOut]


class RateLimitList(BaseModel):
    """Counted by every gateway instance together, in the gateway's database."""

    items: list[RateLimitOut]
    next_cursor: str | None = None


@router.get("", response_model=RateLimitList)
async def workspace_rate_limits(
    principal: AdminPrincipal, store: Store, limiters: LimitersDep
) -> RateLimitList:
    """Each limit that counts this workspace's members, with what each has used and has
    left in the current window (owners and admins)."""
    found = await rate_limits.workspace_limits(store, limiters, principal)
    return RateLimitList(
        items=[RateLimitOut.model_validate(s, from_attributes=True) for s in found]
    )
