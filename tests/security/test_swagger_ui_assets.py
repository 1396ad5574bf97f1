"""Swagger UI comes from Kasa itself, not from a CDN: the API docs page references no other
origin, its policy allows only this one, and the web application serves the pinned assets."""

import re
from urllib.parse import urlsplit

import pytest
from fastapi.testclient import TestClient

from kasa_gateway.main import build
from kasa_servicekit.service import create_app
from kasa_web.main import create_app as create_web
from kasa_web.settings import WebSettings


@pytest.fixture
def gateway(tmp_path, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path}/gateway.db")
    monkeypatch.setenv("JWT_SIGNING_KEY_FILE", str(tmp_path / "key.pem"))
    monkeypatch.setenv("AMQP_URL", "amqp://guest:guest@127.0.0.1:1/")
    return TestClient(create_app(build()))


def test_the_docs_page_references_no_external_origin(gateway):
    page = gateway.get("/api/docs")
    assert page.status_code == 200
    references = re.findall(r"""(?:src|href)\s*=\s*["']([^"']+)["']""", page.text)
    assert references, "the page loads Swagger UI from somewhere"
    for reference in references:
        parts = urlsplit(reference)
        assert not parts.scheme and not parts.netloc, f"{reference} is another origin"
    assert "<script>" not in page.text, "no inline script"

    policy = page.headers["content-security-policy"]
    assert not re.search(r"https?:|//", policy), policy
    directives = dict(d.strip().split(" ", 1) for d in policy.split(";") if " " in d.strip())
    assert directives["script-src"] == "'self'"
    assert directives["style-src"] == "'self'"
    assert "'unsafe-inline'" not in policy


def test_the_web_application_serves_the_pinned_swagger_ui():
    web = TestClient(create_web(WebSettings()))
    for asset in ("swagger-ui-bundle.js", "swagger-ui.css"):
        answer = web.get(f"/static/vendor/swagger-ui/{asset}")
        assert answer.status_code == 200, asset
        assert len(answer.content) > 10_000
