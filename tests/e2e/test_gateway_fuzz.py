"""Property-based fuzzing of the merged API description, through the gateway, for real.

Every operation gets a bounded number of generated requests (schemathesis on hypothesis); no
answer may be a 5xx, and every answer must match what the document says about it. A second
pass puts hostile strings into every string of the generated bodies and queries.
"""

import asyncio
import os

import pytest

schemathesis = pytest.importorskip("schemathesis")

from hypothesis import HealthCheck, Phase, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from schemathesis.checks import not_a_server_error  # noqa: E402
from schemathesis.specs.openapi.checks import (  # noqa: E402
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

pytestmark = [pytest.mark.e2e, pytest.mark.asyncio(loop_scope="session")]

EXAMPLES = int(os.environ.get("KASA_FUZZ_EXAMPLES", "12"))
HOSTILE_EXAMPLES = int(os.environ.get("KASA_FUZZ_HOSTILE_EXAMPLES", "6"))
HOSTILE = [
    "\x00",  # PostgreSQL stores no NUL in text
    "a\x00b",
    "x" * 100_000,  # far beyond every column
    "{seq:>999999999}",  # a format spec
    "%s%s%s%n",
    '=HYPERLINK("https://evil.example")',  # a spreadsheet formula
    "<script>alert(1)</script>",
    "'; DROP TABLE invoices; --",
    "../../../../etc/passwd",
    "a\r\nX-Injected: 1",  # a header break
    "\u202egnp.exe",  # right-to-left override
    "\uff29\uff4e\uff56 \u00bd \ufb01",  # full-width and compatibility forms
    "💸" * 1000,  # astral characters, 4 bytes each
    "9" * 400,  # a number far beyond any decimal column
    "-0",
    "NaN",
    "1e999999",
    " ",
    "",
]
"""Strings that broke or could break something: each replaces every string of a request."""
QUERY_TEXT = 200
"""The most of a hostile string put into each query parameter."""
# Operations that would start real work of arbitrary size or end the fuzzing session itself.
SKIPPED = {
    ("POST", "/api/v1/plugins/{plugin_name}/syncs"),
    ("POST", "/api/v1/plugins/{plugin_name}/imports"),
    ("POST", "/api/v1/auth/logout"),
    ("DELETE", "/api/v1/auth/session"),
    ("POST", "/api/v1/me/password"),
}


def with_strings(value: object, text: str) -> object:
    """``value`` with every string in it, keys kept, replaced by ``text``."""
    if isinstance(value, str):
        return text
    if isinstance(value, dict):
        return {key: with_strings(item, text) for key, item in value.items()}
    if isinstance(value, list):
        return [with_strings(item, text) for item in value]
    return value


def fuzz(document: dict, base_url: str, token: str, *, hostile: bool = False) -> list[str]:
    schema = schemathesis.openapi.from_dict(document)
    failures: list[str] = []
    for result in schema.get_all_operations():
        operation = result.ok()
        if (operation.method.upper(), operation.path) in SKIPPED:
            continue

        @settings(
            max_examples=HOSTILE_EXAMPLES if hostile else EXAMPLES,
            deadline=None,
            database=None,
            derandomize=True,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        @given(case=operation.as_strategy(), text=st.sampled_from(HOSTILE))
        def check(case, text: str) -> None:
            if hostile:
                # Path parameters keep their values: a hostile path only finds no route.
                if isinstance(case.body, dict | list):
                    case.body = with_strings(case.body, text)
                if case.query:
                    # A URL is cut short: past about 16 KB the HTTP server itself refuses
                    # the request line (a plain-text 400), before any of Kasa sees it.
                    case.query = with_strings(case.query, text[:QUERY_TEXT])
            case.call_and_validate(
                base_url=base_url,
                headers={"Authorization": f"Bearer {token}"},
                checks=[
                    not_a_server_error,
                    status_code_conformance,
                    content_type_conformance,
                    response_schema_conformance,
                ],
                timeout=30,
            )

        try:
            check()
        except Exception as exc:  # one operation's failure must not hide the others'
            failures.append(f"{operation.label}: {exc}")
    return failures


async def test_generated_requests_get_no_5xx_and_documented_answers(system):
    user = await system.user()
    document = (await user.get("/api/v1/openapi.json")).json()
    assert "x-kasa-missing-services" not in document["info"]
    # Requests block; the broker proxy of this test session runs on the event loop.
    failures = await asyncio.to_thread(fuzz, document, system.gateway, user.token)
    assert not failures, "\n\n".join(failures)


async def test_hostile_strings_in_every_field_get_no_5xx_and_documented_answers(system):
    user = await system.user()
    document = (await user.get("/api/v1/openapi.json")).json()
    failures = await asyncio.to_thread(fuzz, document, system.gateway, user.token, hostile=True)
    assert not failures, "\n\n".join(failures)
