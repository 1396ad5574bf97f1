"""Portal links: they expire by default, views are rate limited, PDFs are rendered once per
content, and tokens stay out of invoicing's logs.

A link used to work for ever unless a day count was given, and ``/portal`` answered every view
with a fresh PDF render and an audit event, for anyone, as often as asked. Driven through the
invoicing app on SQLite, and through the gateway on the whole system.
"""

import io
import logging
import sqlite3
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from kasa_contracts.events.invoicing import InvoicePortalViewed
from kasa_invoicing.app import documents
from kasa_invoicing.main import build
from kasa_localstack.testing import issue_invoice
from kasa_servicekit.testing import served

SUPPLIER = {"name": "Jana", "iban": "CZ6508000000192000145399", "number_format": "{year}-{seq}"}


@dataclass
class Portal:
    client: TestClient
    headers: dict[str, str]
    db_path: Path

    def ok(self, method: str, path: str, status: int = 200, **kwargs: Any) -> Any:
        response = self.client.request(method, path, headers=self.headers, **kwargs)
        assert response.status_code == status, response.text
        return response.json() if response.content else None

    def shared(self, **share: Any) -> dict[str, Any]:
        """A new issued invoice of its own and a portal link to it."""
        self.ok("PUT", "/api/v1/supplier", json=SUPPLIER)
        acme = self.ok("POST", "/api/v1/clients", 201, json={"name": "Acme", "currency": "CZK"})
        line = {"description": "Design", "quantity": "1", "unit_price": "1000"}
        body = {"client_id": acme["id"], "extra_lines": [line]}
        invoice = self.ok("POST", "/api/v1/invoices", 201, json=body)
        self.ok("POST", f"/api/v1/invoices/{invoice['id']}/issue")
        link = self.ok("POST", f"/api/v1/invoices/{invoice['id']}/share", 201, json=share)
        return {**link, "invoice_id": invoice["id"]}

    def sql(self, statement: str, *args: Any) -> None:
        with sqlite3.connect(self.db_path) as conn:
            conn.execute(statement, args)


def _portal(tmp_path, monkeypatch, **env: str) -> Iterator[Portal]:
    with served(build, tmp_path, monkeypatch, env=env, raise_server_exceptions=False) as app:
        yield Portal(app.client, app.issuer.headers(uuid.uuid4()), app.db_path)


@pytest.fixture
def portal(tmp_path, monkeypatch) -> Iterator[Portal]:
    yield from _portal(tmp_path, monkeypatch)


@pytest.fixture
def tight_portal(tmp_path, monkeypatch) -> Iterator[Portal]:
    yield from _portal(
        tmp_path,
        monkeypatch,
        PORTAL_VIEWS_PER_MINUTE_PER_LINK="3",
        PORTAL_VIEWS_PER_MINUTE_PER_ADDRESS="5",
        PORTAL_LINK_DAYS="10",
    )


def test_a_link_made_without_a_day_count_expires_after_the_default(portal):
    link = portal.shared()
    expires = datetime.fromisoformat(link["expires_at"])
    assert timedelta(days=89) < expires - datetime.now(UTC) <= timedelta(days=90)
    chosen = portal.shared(expires_in_days=7)
    assert datetime.fromisoformat(chosen["expires_at"]) - datetime.now(UTC) <= timedelta(days=7)


def test_the_default_is_configured_per_service(tight_portal):
    link = tight_portal.shared()
    expires = datetime.fromisoformat(link["expires_at"])
    assert timedelta(days=9) < expires - datetime.now(UTC) <= timedelta(days=10)


def test_an_expired_link_and_an_old_link_without_expiry_open_nothing(portal):
    expired, old, recent = portal.shared(), portal.shared(), portal.shared()
    assert portal.client.get(expired["url"]).status_code == 200
    portal.sql(
        "UPDATE share_links SET expires_at = '2020-01-01 00:00:00.000000' WHERE id = ?",
        expired["id"].replace("-", ""),
    )
    # Links made when they lived until revoked stop the default days after they were made.
    portal.sql(
        "UPDATE share_links SET expires_at = NULL, created_at = ? WHERE id = ?",
        (datetime.now(UTC) - timedelta(days=91)).strftime("%Y-%m-%d %H:%M:%S.%f"),
        old["id"].replace("-", ""),
    )
    portal.sql(
        "UPDATE share_links SET expires_at = NULL WHERE id = ?", recent["id"].replace("-", "")
    )
    for link in (expired, old):
        assert portal.client.get(link["url"]).status_code == 404
        assert portal.client.get(f"{link['url']}/pdf").status_code == 404
    assert portal.client.get(recent["url"]).status_code == 200


def test_views_beyond_the_limit_per_link_are_429_problems_with_retry_after(tight_portal):
    link = tight_portal.shared()
    answers = [tight_portal.client.get(link["url"]).status_code for _ in range(3)]
    assert answers == [200, 200, 200]
    refused = tight_portal.client.get(f"{link['url']}/pdf")
    assert refused.status_code == 429
    assert refused.headers["content-type"] == "application/problem+json"
    assert 1 <= int(refused.headers["retry-after"]) <= 60
    assert refused.headers["cache-control"] == "no-store"
    # Refused views are neither counted on the link nor published for the audit trail.
    with sqlite3.connect(tight_portal.db_path) as conn:
        [(views,)] = conn.execute("SELECT view_count FROM share_links").fetchall()
        published = conn.execute(
            "SELECT count(*) FROM outbox WHERE routing_key = ?",
            (InvoicePortalViewed.routing_key(),),
        ).fetchone()[0]
    assert views == published == 3


def test_one_address_cannot_spread_views_over_many_links_or_guessed_tokens(tight_portal):
    links = [tight_portal.shared() for _ in range(3)]
    client = tight_portal.client
    same = {"X-Forwarded-For": "198.51.100.7"}
    answers = [client.get(links[i % 3]["url"], headers=same).status_code for i in range(4)]
    answers.append(client.get("/portal/" + "A" * 43, headers=same).status_code)
    assert answers == [200, 200, 200, 200, 404]
    refused = client.get(links[2]["url"], headers=same)
    assert refused.status_code == 429 and "retry-after" in refused.headers
    # Another address still gets its views.
    assert (
        client.get(links[2]["url"], headers={"X-Forwarded-For": "203.0.113.9"}).status_code == 200
    )


def test_an_unchanged_invoice_is_rendered_once_however_often_it_is_viewed(portal):
    link = portal.shared()
    before = documents.RENDERED.renders
    first = portal.client.get(f"{link['url']}/pdf")
    again = [portal.client.get(f"{link['url']}/pdf") for _ in range(4)]
    owner_copy = portal.client.get(
        f"/api/v1/invoices/{link['invoice_id']}/pdf", headers=portal.headers
    )
    assert first.status_code == owner_copy.status_code == 200
    assert all(r.content == first.content for r in [*again, owner_copy])
    assert documents.RENDERED.renders == before + 1

    # What the reader sees changed (a payment arrived): rendered anew, once.
    portal.sql("UPDATE invoices SET paid_total = 4000000, status = 'partially_paid'")
    changed = [portal.client.get(f"{link['url']}/pdf") for _ in range(3)]
    assert changed[0].content != first.content
    assert all(r.content == changed[0].content for r in changed)
    assert documents.RENDERED.renders == before + 2


def test_portal_tokens_are_masked_in_invoicings_logs(portal):
    token = portal.shared()["token"]
    # The service's own log handler (the one that writes its JSON lines), pointed at a buffer.
    [handler] = [
        h
        for h in logging.getLogger().handlers
        if any(type(f).__name__ == "_ContextFilter" for f in h.filters)
    ]
    assert isinstance(handler, logging.StreamHandler)
    written = io.StringIO()
    previous = handler.setStream(written)
    try:
        try:
            raise RuntimeError(f"rendering /portal/{token}/pdf failed")
        except RuntimeError:
            # As the kit logs an unhandled error on a route: the path, then the traceback.
            logging.getLogger("kasa.http").exception(
                "unhandled error on %s %s", "GET", f"/portal/{token}/pdf"
            )
        logging.getLogger("uvicorn.error").warning('"GET /portal/%s HTTP/1.1" 500', token)
    finally:
        handler.setStream(previous)
    lines = written.getvalue()
    assert "unhandled error on GET /portal/[redacted]/pdf" in lines
    assert "rendering /portal/[redacted]/pdf failed" in lines
    assert "GET /portal/[redacted] HTTP/1.1" in lines
    assert token not in lines


@pytest.mark.e2e
@pytest.mark.asyncio(loop_scope="session")
async def test_through_the_gateway_a_link_expires_by_default_and_views_are_limited(system):
    user = await system.user()
    invoice = await issue_invoice(user)
    shared = await user.post(f"/api/v1/invoices/{invoice['id']}/share", json={})
    assert shared.status_code == 201, shared.text
    link = shared.json()
    expires = datetime.fromisoformat(link["expires_at"])
    assert timedelta(days=89) < expires - datetime.now(UTC) <= timedelta(days=90)

    # The default budget of one link is 30 views a minute; the 31st waits.
    answers = [(await user.http.get(f"/portal/{link['token']}")).status_code for _ in range(30)]
    assert answers == [200] * 30
    refused = await user.http.get(f"/portal/{link['token']}/pdf")
    assert refused.status_code == 429
    assert refused.headers["content-type"] == "application/problem+json"
    assert 1 <= int(refused.headers["retry-after"]) <= 60
