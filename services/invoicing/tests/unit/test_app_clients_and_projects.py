"""Clients, projects and the supplier profile in memory: events only for real changes."""

import uuid
from decimal import Decimal

import pytest

from kasa_contracts.events.invoicing import (
    ClientCreated,
    ClientDeleted,
    ClientUpdated,
    ProjectDeleted,
    ProjectUpdated,
    SupplierProfileUpdated,
)
from kasa_invoicing.app import clients, projects, supplier
from kasa_invoicing.db.tables import Client
from kasa_invoicing.domain.errors import Conflict, Invalid, NotFound

NEW_CLIENT = {
    "name": "Acme",
    "email": None,
    "address": None,
    "country": None,
    "company_id": None,
    "vat_id": None,
    "currency": "EUR",
    "language": "en",
    "payment_terms_days": None,
    "hourly_rate": Decimal("80.50"),
}


async def test_a_client_is_created_changed_and_deleted_with_its_changes(rows, events, member):
    client = await clients.create(rows, events, member, NEW_CLIENT)
    await clients.update(rows, events, member, client.id, {"name": "Acme GmbH", "currency": None})
    await clients.update(rows, events, member, client.id, {"name": "Acme GmbH"})
    await clients.delete(rows, events, member, client.id)

    [made] = events.payloads(ClientCreated)
    assert made.changes["hourly_rate"].after == "80.5", "fixed-point, without trailing zeros"
    [changed] = events.payloads(ClientUpdated)
    assert set(changed.changes) == {"name"}, "a null currency keeps the currency"
    [gone] = events.payloads(ClientDeleted)
    assert gone.changes["name"].before == "Acme GmbH"
    assert rows.all(Client) == []


async def test_a_client_in_use_stays(rows, events, member):
    client = rows.client()
    rows.project(client)
    with pytest.raises(Conflict, match="has projects or invoices"):
        await clients.delete(rows, events, member, client.id)
    with pytest.raises(NotFound, match="client does not exist"):
        await clients.update(rows, events, member, uuid.uuid4(), {"name": "X"})


async def test_a_projects_currency_is_fixed_once_work_is_on_it(rows, events, member):
    client = rows.client()
    project, of = await projects.create(
        rows,
        events,
        member,
        {"client_id": client.id, "name": "Web", "hourly_rate": None, "currency": None},
    )
    assert of is client and project.active is not False
    await projects.update(rows, events, member, project.id, {"currency": "EUR"})
    rows.entry(project, minutes=60)
    with pytest.raises(Invalid, match="currency of a project with work entries"):
        await projects.update(rows, events, member, project.id, {"currency": "CZK"})
    with pytest.raises(Conflict, match="has work entries"):
        await projects.delete(rows, events, member, project.id)
    assert [set(e.changes) for e in events.payloads(ProjectUpdated)] == [{"currency"}]
    assert events.payloads(ProjectDeleted) == []


async def test_a_project_needs_a_client_of_the_workspace(rows, events, member):
    stranger = rows.seen_from(uuid.uuid4()).client()
    with pytest.raises(NotFound, match="client does not exist"):
        await projects.create(rows, events, member, {"client_id": stranger.id, "name": "P"})


async def test_the_supplier_profile_is_set_whole_and_published_when_it_changes(
    rows, events, member
):
    with pytest.raises(NotFound, match="supplier profile does not exist"):
        await supplier.get(rows)
    profile = {"name": "Jana", "iban": "CZ6508000000192000145399", "number_format": "{seq}"}
    await supplier.put(rows, events, member, profile)
    await supplier.put(rows, events, member, profile)
    await supplier.put(rows, events, member, profile | {"name": "Jana N."})

    assert (await supplier.get(rows)).name == "Jana N."
    first, second = events.payloads(SupplierProfileUpdated)
    assert first.changes["name"].before is None and second.changes["name"].after == "Jana N."
