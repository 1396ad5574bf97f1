"""A workspace's overdue reminders, and the operator's run of the daily pass."""

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Body, Request
from pydantic import BaseModel, ConfigDict, Field

from kasa_invoicing.api.invoice_mail import InvoiceMailDep
from kasa_invoicing.app import reminders
from kasa_invoicing.domain.errors import Invalid
from kasa_servicekit.auth import AdminPrincipal, CurrentPrincipal
from kasa_servicekit.db import utcnow
from kasa_servicekit.operations import Operator
from kasa_servicekit.service import Db, Events

router = APIRouter(prefix="/api/v1/reminders", tags=["reminders"])
ops_router = APIRouter(include_in_schema=False)


class ReminderSettingsIO(BaseModel):
    model_config = ConfigDict(extra="forbid")

    enabled: bool
    days: list[Annotated[int, Field(ge=1, le=365)]] = Field(
        max_length=10, description="Days after the due date a client is reminded"
    )


@router.get("/settings", response_model=ReminderSettingsIO)
async def get_settings(principal: CurrentPrincipal, db: Db) -> ReminderSettingsIO:
    async with db.sessions() as session:
        found = await reminders.settings_of(session, principal.workspace_id)
    return ReminderSettingsIO(enabled=found.enabled, days=found.days)


@router.put("/settings", response_model=ReminderSettingsIO)
async def put_settings(
    body: ReminderSettingsIO, principal: AdminPrincipal, db: Db, events: Events
) -> ReminderSettingsIO:
    """Turn the workspace's overdue reminders on or off, and choose their days."""
    async with db.transaction() as session:
        changed = await reminders.change_settings(
            session, events, principal, body.enabled, body.days
        )
    return ReminderSettingsIO(enabled=changed.enabled, days=changed.days)


class RunIn(BaseModel):
    as_of: date | None = Field(
        default=None, description="The day to remind as of; today when not given"
    )


@ops_router.post("/ops/reminders/run")
async def run_reminders(
    _: Operator,
    request: Request,
    db: Db,
    events: Events,
    mail: InvoiceMailDep,
    body: Annotated[RunIn | None, Body()] = None,
) -> dict[str, object]:
    """Run the reminder pass now (``as_of`` a later day rehearses it; not in production)."""
    today = utcnow().date()
    as_of = body.as_of if body and body.as_of else today
    settings = request.app.state.runtime.settings
    if as_of > today and settings.env == "production":
        raise Invalid("a pass as of a later day is for rehearsals, never in production")
    return {"as_of": as_of.isoformat(), "queued": await reminders.remind(db, events, mail, as_of)}
