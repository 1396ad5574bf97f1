"""A work entry as the API shows it, with the invoice it is on."""

from datetime import date, datetime
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from kasa_contracts.types import MoneyAmount
from kasa_invoicing.db.tables import WorkEntry
from kasa_invoicing.domain.work import is_running


class WorkEntryOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: UUID
    project_id: UUID
    client_id: UUID
    work_date: date
    minutes: int | None
    fixed_amount: MoneyAmount | None
    description: str
    billable: bool
    invoice_id: UUID | None
    invoice_number: str | None = Field(
        default=None, description="The number of its invoice; null while that is a draft"
    )
    locked: bool = Field(description="On an invoice: it cannot be changed or deleted")
    running: bool = Field(description="A timer is running on it")
    started_at: datetime | None
    created_at: datetime
    updated_at: datetime


def entry_out(row: WorkEntry, invoice_number: str | None = None) -> WorkEntryOut:
    return WorkEntryOut.model_validate(
        {
            **{c: getattr(row, c) for c in WorkEntryOut.model_fields if hasattr(row, c)},
            "invoice_number": invoice_number,
            "locked": row.invoice_id is not None,
            "running": is_running(row),
        }
    )
