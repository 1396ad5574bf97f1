"""Content-Disposition: the invoice number cannot inject header parameters or break the header.

New number formats are restricted, but numbers stored before that may hold anything: quotes
and semicolons (a second ``filename`` parameter), characters outside Latin-1 (the header could
not be encoded: a 500), control characters. The download header is built the RFC 6266 way:
``filename*=UTF-8''…`` plus a safe ASCII ``filename="…"``. Driven through the invoicing app on
SQLite, the stored number rewritten as an old release could have left it.
"""

import re
import sqlite3
import uuid
from collections.abc import Iterator
from typing import Any
from urllib.parse import unquote

import pytest
from fastapi.testclient import TestClient

from kasa_invoicing.main import build
from kasa_servicekit.testing import served

SUPPLIER = {
    "name": "Jana Nováková",
    "address": "Dlouhá 1, Praha",
    "iban": "CZ6508000000192000145399",
    "default_currency": "CZK",
    "number_format": "{year}-{seq:04d}",
}

HOSTILE_NUMBERS = {
    "parameter injection": '2026"; filename="evil.exe',
    "unquoted injection": "2026; filename*=UTF-8''evil.exe",
    "non-Latin-1": "Faktura č. 7/2026 — Ελλάδα",
    "header splitting": "2026\r\nSet-Cookie: session=stolen",
    "very long": "9" * 5000,
}

_PARAM = re.compile(r';\s*([A-Za-z*]+)=("(?:[^"\\]|\\.)*"|[^;]*)')


def parameters(header: str) -> list[tuple[str, str]]:
    """The parameters of a Content-Disposition value, in order, as a client parses them."""
    assert ";" in header
    return [(name.lower(), value) for name, value in _PARAM.findall(header[header.index(";") :])]


@pytest.fixture
def invoicing(tmp_path, monkeypatch) -> Iterator[tuple[TestClient, dict[str, str], Any]]:
    with served(build, tmp_path, monkeypatch, raise_server_exceptions=False) as app:
        yield app.client, app.issuer.headers(uuid.uuid4()), app.db_path


def issued_invoice(client: TestClient, headers: dict[str, str]) -> str:
    def ok(method: str, path: str, status: int = 200, **kwargs: Any) -> Any:
        response = client.request(method, path, headers=headers, **kwargs)
        assert response.status_code == status, response.text
        return response.json()

    ok("PUT", "/api/v1/supplier", json=SUPPLIER)
    acme = ok("POST", "/api/v1/clients", 201, json={"name": "Acme", "currency": "CZK"})
    line = {"description": "Design", "quantity": "1", "unit_price": "1000"}
    invoice = ok(
        "POST", "/api/v1/invoices", 201, json={"client_id": acme["id"], "extra_lines": [line]}
    )
    ok("POST", f"/api/v1/invoices/{invoice['id']}/issue")
    return str(invoice["id"])


@pytest.mark.parametrize("number", HOSTILE_NUMBERS.values(), ids=HOSTILE_NUMBERS.keys())
def test_a_stored_number_cannot_inject_into_or_break_the_download_header(invoicing, number):
    client, headers, db_path = invoicing
    invoice_id = issued_invoice(client, headers)
    link = client.post(f"/api/v1/invoices/{invoice_id}/share", headers=headers).json()
    with sqlite3.connect(db_path) as conn:
        conn.execute("UPDATE invoices SET number = ?", (number,))

    for response, kind in (
        (client.get(f"/api/v1/invoices/{invoice_id}/pdf", headers=headers), "inline"),
        (client.get(f"/portal/{link['token']}/pdf"), "attachment"),
    ):
        assert response.status_code == 200, response.text
        assert response.content.startswith(b"%PDF")
        header = response.headers["content-disposition"]
        assert header.isascii() and header.isprintable(), header
        assert "set-cookie" not in {name.lower() for name in response.headers}
        assert header.startswith(f"{kind};")
        params = parameters(header)
        assert [name for name, _ in params] == ["filename", "filename*"], header
        fallback = params[0][1]
        assert re.fullmatch(r'"[A-Za-z0-9._-]+\.pdf"', fallback), fallback
        encoded = params[1][1]
        assert encoded.startswith("UTF-8''") and '"' not in encoded and ";" not in encoded
        name = unquote(encoded.removeprefix("UTF-8''"), encoding="utf-8")
        assert name.startswith("invoice-") and name.endswith(".pdf")
        assert len(name) <= 200
        if number == HOSTILE_NUMBERS["non-Latin-1"]:
            assert name == "invoice-Faktura č. 7-2026 — Ελλάδα.pdf"
            assert fallback == '"invoice-Faktura_c._7-2026_.pdf"'
