"""The supplier profile: who the workspace's invoices come from, and how they are numbered."""

from collections.abc import Mapping
from typing import Any, Protocol

from kasa_contracts.changes import diff, snapshot
from kasa_contracts.events.invoicing import SupplierProfileUpdated
from kasa_invoicing.app.store import Store
from kasa_invoicing.db.tables import SupplierProfile
from kasa_invoicing.domain.errors import NotFound
from kasa_servicekit.db import utcnow
from kasa_servicekit.events import EventWriter, Origin

FIELDS = (
    "name",
    "address",
    "company_id",
    "vat_id",
    "iban",
    "bic",
    "default_currency",
    "number_format",
    "payment_terms_days",
    "vat_payer",
    "logo_url",
)


class SupplierStore(Store, Protocol):
    async def supplier(self, *, lock: bool = False) -> SupplierProfile | None:
        """The workspace's profile, if it set one up."""
        ...


async def get(store: SupplierStore) -> SupplierProfile:
    profile = await store.supplier()
    if profile is None:
        raise NotFound("supplier profile")
    return profile


async def put(
    store: SupplierStore, events: EventWriter, by: Origin, fields: Mapping[str, Any]
) -> SupplierProfile:
    """Set the whole profile; an event only when something did change."""
    row = await store.supplier(lock=True)
    before = snapshot(row, FIELDS) if row else None
    if row is None:
        row = SupplierProfile(workspace_id=store.workspace_id, **fields)
        store.add(row)
    else:
        for name, value in fields.items():
            setattr(row, name, value)
    row.updated_at = utcnow()
    await store.flush()
    changes = diff(before, snapshot(row, FIELDS))
    if changes:
        updated = SupplierProfileUpdated(workspace_id=store.workspace_id, changes=changes)
        await events.write(store.session, updated, on=by)
    return row
