"""logo_url: only an https:// address without credentials, refused next to the field otherwise.

The supplier's logo address is shown to browsers and never fetched by Kasa; ``javascript:``,
``data:`` or ``file:`` addresses, credentials in the URL and parser tricks were all accepted.
Driven through the invoicing app on SQLite, and the API's real problem put through the web's
supplier page to show where the person reads it.
"""

import uuid
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import httpx
import pytest

from kasa_invoicing.main import build
from kasa_servicekit.testing import served
from kasa_web import i18n
from kasa_web.api_client import ApiProblem
from kasa_web.forms import Form
from kasa_web.pages import supplier
from kasa_web.rendering import env

GOOD_LOGO = "https://cdn.example.com/brand/logo.png"
SUPPLIER = {
    "name": "Jana Nováková",
    "iban": "CZ6508000000192000145399",
    "number_format": "{year}-{seq:04d}",
    "logo_url": GOOD_LOGO,
}

HOSTILE = [
    "javascript:alert(document.cookie)",
    "JavaScript:alert(1)",
    " javascript:alert(1)",
    "java\tscript:alert(1)",
    "data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+",
    "file:///etc/passwd",
    "http://cdn.example.com/logo.png",
    "ftp://cdn.example.com/logo.png",
    "//evil.example/logo.png",
    "https:evil.example/logo.png",
    "https:///logo.png",
    "https://user:secret@cdn.example.com/logo.png",
    "https://cdn.example.com@evil.example/logo.png",
    "https://cdn.example.com\\@evil.example/logo.png",
    "https://cdn.example.com/logo.png\r\nX-Injected: 1",
    "https://cdn.example.com:99999/logo.png",
    "https://cdn.example.com/" + "a" * 600,
]


@pytest.fixture
def api(tmp_path, monkeypatch) -> Iterator[Any]:
    with served(build, tmp_path, monkeypatch, raise_server_exceptions=False) as app:
        headers = app.issuer.headers(uuid.uuid4())
        yield lambda method, path, **kw: app.client.request(method, path, headers=headers, **kw)


def test_an_https_logo_is_kept(api):
    assert api("PUT", "/api/v1/supplier", json=SUPPLIER).status_code == 200
    assert api("GET", "/api/v1/supplier").json()["logo_url"] == GOOD_LOGO


@pytest.mark.parametrize("logo_url", HOSTILE)
def test_a_hostile_logo_address_is_refused_next_to_the_field(api, logo_url):
    assert api("PUT", "/api/v1/supplier", json=SUPPLIER).status_code == 200
    response = api("PUT", "/api/v1/supplier", json={**SUPPLIER, "logo_url": logo_url})
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert [e["loc"] for e in problem["errors"]] == [["body", "logo_url"]]
    assert api("GET", "/api/v1/supplier").json()["logo_url"] == GOOD_LOGO, "the old one is kept"

    # The web's supplier page puts the API's refusal next to the logo field, in the person's
    # language, and keeps what they typed.
    i18n.current_locale.set("en")
    posted = {**SUPPLIER, "logo_url": logo_url}
    form = Form.of(posted)
    supplier.refused(form, ApiProblem(422, problem, httpx.Headers(response.headers)))
    assert set(form.errors) == {"logo_url"}
    html = env.get_template("supplier/edit.html").render(
        viewer=SimpleNamespace(
            can_write=True, csrf_token="t", name="Jana", principal=SimpleNamespace(role="owner")
        ),
        locale="en",
        form=form,
        new=False,
        currencies=supplier.CURRENCIES,
        section="invoices",
    )
    assert 'id="f-logo_url"' in html and 'aria-describedby="e-logo_url"' in html
    assert (
        '<small id="e-logo_url" class="field-error">Enter an https:// address of the image, '
        "without a user name or password.</small>"
    ) in html
