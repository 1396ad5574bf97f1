"""Overdue reminders: a workspace's settings, and the daily pass that mails what is owed.

Each invoice is reminded in a transaction of its own that first locks the invoice row and then
reads which reminders it had, so replicas that run the pass at once wait for each other and
the second finds the reminder sent. The mail's dedupe key and the send's unique constraint
hold the same line should anything slip past the lock.
"""

import logging
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any
from uuid import UUID

from sqlalchemy import select

from kasa_contracts import Actor
from kasa_contracts.changes import diff
from kasa_contracts.events.invoicing import ReminderSettingsChanged
from kasa_invoicing.app.invoice_mail import InvoiceMail, deliver
from kasa_invoicing.db.invoices import InvoiceRows
from kasa_invoicing.db.tables import Invoice, InvoiceSend, ReminderSettings
from kasa_invoicing.domain import reminders
from kasa_invoicing.domain.errors import Invalid
from kasa_invoicing.domain.lifecycle import AWAITING_PAYMENT
from kasa_servicekit.db import Database, utcnow
from kasa_servicekit.events import At, EventWriter, Origin

log = logging.getLogger("kasa.invoicing.reminders")

REMINDER_ACTOR = Actor(type="system", id="reminders", name="Overdue reminders")
PASS_LIMIT = 1000
"""Invoices one pass looks at; the next pass goes on where this one stopped."""


@dataclass(frozen=True)
class Settings:
    enabled: bool
    days: list[int]


async def settings_of(session: Any, workspace_id: UUID) -> Settings:
    row = await session.get(ReminderSettings, workspace_id)
    if row is None:
        return Settings(True, list(reminders.DEFAULT_DAYS))
    return Settings(row.enabled, list(row.days))


async def change_settings(
    session: Any, events: EventWriter, by: Origin, enabled: bool, days: list[int]
) -> Settings:
    """Turn the workspace's reminders on or off and choose their days; audited."""
    workspace_id = by.workspace_id
    try:
        chosen = reminders.check_days(days)
    except ValueError as exc:
        raise Invalid(str(exc)) from exc
    if enabled and not chosen:
        raise Invalid("choose at least one reminder day, or turn reminders off")
    before = await settings_of(session, workspace_id)
    row = await session.get(ReminderSettings, workspace_id)
    if row is None:
        session.add(
            ReminderSettings(
                workspace_id=workspace_id, enabled=enabled, days=chosen, updated_at=utcnow()
            )
        )
    else:
        row.enabled, row.days, row.updated_at = enabled, chosen, utcnow()
    changes = diff(
        {"enabled": before.enabled, "days": before.days}, {"enabled": enabled, "days": chosen}
    )
    if changes:
        changed = ReminderSettingsChanged(workspace_id=workspace_id, changes=changes)
        await events.write(session, changed, on=by)
    return Settings(enabled, chosen)


class _AlreadySent(Exception):
    """Another replica sent this reminder first: this transaction is rolled back."""


async def remind(db: Database, events: EventWriter, mail: InvoiceMail, today: date) -> int:
    """Mail every reminder owed on ``today``; returns how many were queued."""
    async with db.sessions() as session:
        chosen = {
            row.workspace_id: Settings(row.enabled, list(row.days))
            for row in await session.scalars(select(ReminderSettings))
        }
        # Due at least a day ago: each invoice is then checked against its workspace's days.
        due_by = today - timedelta(days=1)
        candidates = list(
            (
                await session.execute(
                    select(Invoice.id, Invoice.workspace_id)
                    .where(Invoice.status.in_(AWAITING_PAYMENT), Invoice.due_date <= due_by)
                    .order_by(Invoice.due_date, Invoice.id)
                    .limit(PASS_LIMIT)
                )
            ).all()
        )
    queued = 0
    for invoice_id, workspace_id in candidates:
        setting = chosen.get(workspace_id, Settings(True, list(reminders.DEFAULT_DAYS)))
        if not setting.enabled:
            continue
        try:
            if await _remind_one(db, events, mail, workspace_id, invoice_id, setting, today):
                queued += 1
        except _AlreadySent:
            continue
        except Exception:
            log.exception("reminder of invoice %s failed; the next pass tries again", invoice_id)
    return queued


async def _remind_one(
    db: Database,
    events: EventWriter,
    mail: InvoiceMail,
    workspace_id: UUID,
    invoice_id: UUID,
    setting: Settings,
    today: date,
) -> bool:
    async with db.transaction() as session:
        store = InvoiceRows(session, workspace_id)
        invoice = await store.owned(Invoice, invoice_id, "invoice", lock=True)
        email = (invoice.client or {}).get("email")
        if invoice.status not in AWAITING_PAYMENT or invoice.due_date is None or not email:
            return False
        sent = await session.scalars(
            select(InvoiceSend.reminder_day).where(
                InvoiceSend.invoice_id == invoice.id, InvoiceSend.kind == "reminder"
            )
        )
        day = reminders.owed(invoice.due_date, today, setting.days, [d for d in sent if d])
        if day is None:
            return False
        by: Origin = At(workspace_id, REMINDER_ACTOR)
        done = await deliver(
            store, events, by, mail, invoice, kind="reminder", to=email, cc=[], reminder_day=day
        )
        if done is None:
            raise _AlreadySent
        return True


async def remind_today(runtime: Any, mail: InvoiceMail) -> None:
    """One pass for today: a round of the periodic job (one replica at a time)."""
    queued = await remind(runtime.db, runtime.events, mail, utcnow().date())
    if queued:
        log.info("queued %d overdue reminders", queued)
