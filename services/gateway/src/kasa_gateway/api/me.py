"""GET /api/v1/me: who the token belongs to and which workspace it acts in; their profile
(name, language) and password change."""

from typing import Literal
from uuid import UUID

from fastapi import APIRouter, Request, Response, status
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import update

from kasa_contracts.changes import diff
from kasa_contracts.events.identity import PasswordChanged, ProfileChanged
from kasa_gateway.api.auth import policy_problem
from kasa_gateway.api.deps import LimitersDep, bearer_session_id, too_many
from kasa_gateway.api.memberships import identity_event
from kasa_gateway.db.tables import User, Workspace
from kasa_gateway.domain.password_policy import MAX_LENGTH, MIN_LENGTH, password_problems
from kasa_gateway.passwords import hash_password, verify_password
from kasa_gateway.sessions import revoke_other_sessions
from kasa_servicekit.auth import CurrentPrincipal
from kasa_servicekit.outbox import add_events
from kasa_servicekit.problems import ProblemError
from kasa_servicekit.service import Db

router = APIRouter(prefix="/api/v1/me", tags=["me"])


class WorkspaceOut(BaseModel):
    id: UUID
    name: str
    role: str


Locale = Literal["en", "cs"]


class MeOut(BaseModel):
    id: UUID
    email: str
    name: str
    locale: Locale | None
    """The language Kasa speaks to this person; ``null``: whatever their browser prefers."""
    workspace: WorkspaceOut


class ProfileIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, min_length=1, max_length=200)
    locale: Locale | None = None
    """``null`` clears the setting; leave the field out to keep it."""


async def _me(db: Db, principal: CurrentPrincipal) -> MeOut:
    async with db.sessions() as session:
        user = await session.get(User, principal.user_id)
        workspace = await session.get(Workspace, principal.workspace_id)
    if user is None or workspace is None:
        raise ProblemError(401, "Unauthorized", "the account no longer exists")
    return MeOut(
        id=user.id,
        email=user.email,
        name=user.name,
        locale=user.locale if user.locale in ("en", "cs") else None,
        workspace=WorkspaceOut(id=workspace.id, name=workspace.name, role=principal.role),
    )


@router.get("", response_model=MeOut)
async def me(principal: CurrentPrincipal, db: Db) -> MeOut:
    return await _me(db, principal)


@router.patch("", response_model=MeOut)
async def update_profile(body: ProfileIn, principal: CurrentPrincipal, db: Db) -> MeOut:
    """Change one's own name or language; only the fields sent change."""
    wanted = body.model_dump(exclude_unset=True)
    if wanted.get("name", "") is None:
        raise ProblemError(
            422,
            "Unprocessable Content",
            "The request is not valid",
            errors=[{"loc": ["body", "name"], "msg": "a name is required", "type": "missing"}],
        )
    async with db.transaction() as session:
        user = await session.get(User, principal.user_id)
        if user is None:
            raise ProblemError(401, "Unauthorized", "the account no longer exists")
        before = {"name": user.name, "locale": user.locale}
        after = {**before, **wanted}
        if after != before:
            await session.execute(update(User).where(User.id == user.id).values(**wanted))
            event = ProfileChanged(user_id=user.id, changes=diff(before, after))
            await add_events(session, [identity_event(event, principal)])
    return await _me(db, principal)


class PasswordChangeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    current_password: str = Field(max_length=MAX_LENGTH)
    new_password: str = Field(min_length=MIN_LENGTH, max_length=MAX_LENGTH)


@router.post(
    "/password",
    status_code=status.HTTP_204_NO_CONTENT,
    responses={
        403: {"description": "The current password is wrong"},
        429: {"description": "Later"},
    },
)
async def change_password(
    body: PasswordChangeIn,
    request: Request,
    principal: CurrentPrincipal,
    db: Db,
    limiters: LimitersDep,
) -> Response:
    """Change the password; every other session of the account is revoked."""
    decision = limiters.login_per_account.hit(f"password:{principal.user_id}")
    if not decision.allowed:
        raise too_many(decision, "too many password attempts")
    async with db.sessions() as session:
        user = await session.get(User, principal.user_id)
    if user is None:
        raise ProblemError(401, "Unauthorized", "the account no longer exists")
    if not await verify_password(user.password_hash, body.current_password):
        raise ProblemError(403, "Forbidden", "the current password is wrong")
    if problems := password_problems(body.new_password, user.email):
        raise policy_problem(problems)
    new_hash = await hash_password(body.new_password)
    async with db.transaction() as session:
        await session.execute(update(User).where(User.id == user.id).values(password_hash=new_hash))
        await revoke_other_sessions(session, user.id, keep=bearer_session_id(request))
        changes = diff({"password": "old"}, {"password": "new"}, secret=["password"])
        event = PasswordChanged(user_id=user.id, changes=changes)
        await add_events(session, [identity_event(event, principal)])
    return Response(status_code=status.HTTP_204_NO_CONTENT)
