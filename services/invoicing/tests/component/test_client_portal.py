"""The client portal: share links, the public page and PDF, revocation, expiry, audit."""

import io
import re
import sqlite3
from datetime import UTC, datetime, timedelta

from pypdf import PdfReader

from kasa_contracts.events.invoicing import (
    InvoicePortalViewed,
    InvoiceShared,
    InvoiceShareRevoked,
)


def shared_invoice(owner, **share):
    client_id, project_id = owner.setup_work(language="cs", rate="1000")
    entry = owner.add_entry(project_id, "2026-03-02", minutes=60, description="Konzultace")
    invoice = owner.ok(
        "POST",
        "/api/v1/invoices",
        201,
        json={"client_id": client_id, "work_entry_ids": [entry["id"]]},
    )
    assert owner.post(f"/api/v1/invoices/{invoice['id']}/share").status_code == 409, "draft"
    owner.ok("POST", f"/api/v1/invoices/{invoice['id']}/issue", json={"issue_date": "2026-03-31"})
    link = owner.ok("POST", f"/api/v1/invoices/{invoice['id']}/share", 201, json=share)
    return invoice["id"], link


def test_a_shared_invoice_opens_in_the_clients_language_and_views_are_recorded(service, owner):
    invoice_id, link = shared_invoice(owner)
    assert link["url"] == f"/portal/{link['token']}"
    # Every link expires; without expires_in_days after the default 90 days.
    expires = datetime.fromisoformat(link["expires_at"])
    assert timedelta(days=89) < expires - datetime.now(UTC) <= timedelta(days=90)
    assert len(link["token"]) >= 43, "at least 256 bits, URL-safe"

    anonymous = service.client
    page = anonymous.get(link["url"])
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert page.headers["cache-control"] == "no-store"
    assert page.headers["referrer-policy"] == "no-referrer"
    html = page.text
    for expected in (
        "Faktura 2026-0001",
        "Jana Nováková",
        "Acme s.r.o.",
        "Konzultace",
        "QR platba",
    ):
        assert expected in html, expected
    assert "1\u00a0000,00\u00a0Kč" in html
    assert "data:image/svg+xml;base64," in html

    pdf = anonymous.get(f"{link['url']}/pdf")
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    text = PdfReader(io.BytesIO(pdf.content)).pages[0].extract_text()
    assert "Faktura 2026-0001" in re.sub(r"\s+", " ", text)

    views = service.events(InvoicePortalViewed.routing_key())
    assert [(v.payload.what, str(v.payload.invoice_id)) for v in views] == [
        ("page", invoice_id),
        ("pdf", invoice_id),
    ]
    assert views[0].actor.id == "client-portal"
    [shared] = service.events(InvoiceShared.routing_key())
    assert link["token"] not in shared.model_dump_json(), "the token never travels in events"
    with sqlite3.connect(service.db_path) as conn:
        stored = conn.execute("SELECT token_hash, view_count FROM share_links").fetchall()
    assert stored[0][1] == 2 and link["token"] not in stored[0][0]


def test_unknown_revoked_and_expired_links_look_the_same(service, owner):
    invoice_id, link = shared_invoice(owner, expires_in_days=7)
    _, other = shared_invoice(service.member())
    anonymous = service.client
    assert anonymous.get(link["url"]).status_code == 200

    owner.ok("DELETE", f"/api/v1/invoices/{invoice_id}/share", 204)
    [revoked] = service.events(InvoiceShareRevoked.routing_key())
    assert revoked.payload.share_ids and str(revoked.payload.invoice_id) == invoice_id

    with sqlite3.connect(service.db_path) as conn:
        conn.execute("UPDATE share_links SET expires_at = '2020-01-01 00:00:00.000000'")
    unknown = anonymous.get("/portal/" + "A" * 43)
    revoked_page = anonymous.get(link["url"])
    expired_page = anonymous.get(other["url"])
    assert unknown.status_code == revoked_page.status_code == expired_page.status_code == 404
    assert unknown.text == revoked_page.text == expired_page.text
    assert anonymous.get(f"{link['url']}/pdf").status_code == 404
    # A stranger can neither share nor revoke someone else's invoice.
    stranger = service.member()
    assert stranger.post(f"/api/v1/invoices/{invoice_id}/share").status_code == 404
    assert stranger.delete(f"/api/v1/invoices/{invoice_id}/share").status_code == 404
