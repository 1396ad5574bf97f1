"""M3: the role matrix holds on every write operation of the merged API document.

Any member could change the payout IBAN, replace the bank credentials, cancel invoices and
void transactions. Now each write operation states its minimum role (``x-kasa-min-role``),
the table in ``docs/security.md`` is that same matrix, and each service refuses every
role below an operation's minimum with a 403 problem before it reads the body.

The first tests read the merged document as the gateway builds it from the services' own;
the last walks it through the running gateway with real users holding each role in one
workspace.
"""

import re
import uuid
from pathlib import Path
from typing import Any

import pytest

from kasa_gateway.domain.openapi_merge import PUBLIC_OPERATIONS, merge
from kasa_localstack.testing import KasaClient, eventually
from kasa_servicekit.auth import MIN_ROLE, ROLE_RANK
from kasa_servicekit.minimum_roles import MARK_RANK, MARKS, PUBLIC

ROOT = Path(__file__).resolve().parents[2]
WRITES = ("post", "put", "patch", "delete")
ROLES = ("viewer", "member", "admin", "owner")
PASSWORD = "correct horse battery"
TABLE_ROW = re.compile(r"^\| `(POST|PUT|PATCH|DELETE) (/[^`]*)` \| (\w+) \|(.*)\|$")
# Refused for a reason the matrix relies on; each must stay admin or above.
MUST_BE_ADMIN = {
    ("put", "/api/v1/supplier"),
    ("put", "/api/v1/plugins/{plugin_name}/config"),
    ("post", "/api/v1/invoices/{invoice_id}/cancel"),
    ("post", "/api/v1/transactions/{transaction_id}/void"),
    ("post", "/api/v1/transactions/{transaction_id}/corrections"),
    ("post", "/api/v1/invitations"),
    ("patch", "/api/v1/members/{user_id}"),
}


def write_operations(document: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    return {
        (method, path): operation
        for path, operations in document["paths"].items()
        for method, operation in operations.items()
        if method in WRITES
    }


def documented_matrix() -> dict[tuple[str, str], tuple[str, str]]:
    """``docs/security.md``'s table: (method, path) → (minimum role, why)."""
    rows = {}
    for line in (ROOT / "docs" / "security.md").read_text().splitlines():
        if match := TABLE_ROW.match(line.strip()):
            method, path, role, why = match.groups()
            rows[(method.lower(), path)] = (role, why.strip())
    return rows


@pytest.fixture(scope="module")
def merged(tmp_path_factory) -> dict[str, Any]:
    """The merged document, from every service's real app (no server, no broker)."""
    from kasa_servicekit.service import create_app

    directory = tmp_path_factory.mktemp("role-matrix")
    with pytest.MonkeyPatch.context() as env:
        env.setenv("JWT_SIGNING_KEY_FILE", str(directory / "key.pem"))
        env.setenv("AMQP_URL", "amqp://guest:guest@127.0.0.1:1/")
        documents = {}
        for service in ("gateway", "integrations", "ledger", "invoicing", "audit"):
            env.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{directory}/{service}.db")
            module = __import__(f"kasa_{service}.main", fromlist=["build"])
            documents[service] = create_app(module.build()).openapi()
    return merge(documents, title="Kasa API", version="1")


def test_every_write_operation_states_its_minimum_role(merged):
    operations = write_operations(merged)
    assert len(operations) >= 50
    unmarked = sorted(f"{m.upper()} {p}" for (m, p), op in operations.items() if MIN_ROLE not in op)
    assert not unmarked, f"write operations without {MIN_ROLE}: {unmarked}"
    for (method, path), operation in operations.items():
        assert operation[MIN_ROLE] in MARKS, (method, path)
        public = operation[MIN_ROLE] == PUBLIC
        # Public means no token: exactly the operations the document describes without one.
        assert public == ((method, path) in PUBLIC_OPERATIONS), (method, path)
        assert public == ("security" not in operation), (method, path)


def test_the_money_and_membership_operations_need_an_admin(merged):
    operations = write_operations(merged)
    for key in MUST_BE_ADMIN:
        assert ROLE_RANK[operations[key][MIN_ROLE]] >= ROLE_RANK["admin"], key


def test_the_documented_matrix_is_the_one_the_services_state(merged):
    stated = {key: op[MIN_ROLE] for key, op in write_operations(merged).items()}
    documented = documented_matrix()
    assert {key: role for key, (role, _) in documented.items()} == stated
    for key, (role, why) in documented.items():
        if role in ("admin", "owner"):
            assert why, f"{key}: say why it is {role}-only"


# Through the running system ----------------------------------------------------------------

PARAM = re.compile(r"{([^}]+)}")


def example(schema: dict[str, Any], components: dict[str, Any]) -> Any:
    """A small value of ``schema`` (required fields only); validity does not matter here."""
    if "$ref" in schema:
        return example(components[schema["$ref"].rsplit("/", 1)[-1]], components)
    for key in ("anyOf", "oneOf", "allOf"):
        if key in schema:
            options = [s for s in schema[key] if s.get("type") != "null"] or schema[key]
            return example(options[0], components)
    if "enum" in schema:
        return schema["enum"][0]
    if "default" in schema:
        return schema["default"]
    kind = schema.get("type")
    if kind == "object" or "properties" in schema:
        props = schema.get("properties", {})
        return {k: example(props[k], components) for k in schema.get("required", []) if k in props}
    if kind == "array":
        return []
    if kind in ("integer", "number"):
        return schema.get("minimum", 1)
    if kind == "boolean":
        return True
    formats = {"uuid": str(uuid.uuid4()), "date": "2026-01-15", "email": "zoe@example.com"}
    return formats.get(schema.get("format", ""), "x")


def path_of(template: str) -> str:
    # Made-up records: the allowed role then gets a 404 (or 422), which shows it passed the
    # role check without changing anything it finds.
    fill = {"plugin_name": "no-such-plugin"}
    return PARAM.sub(lambda m: fill.get(m.group(1), str(uuid.uuid4())), template)


def body_of(
    method: str, path: str, operation: dict[str, Any], components: dict[str, Any]
) -> dict[str, Any]:
    if (method, path) == ("post", "/api/v1/me/password"):
        # The right current password, so a refusal can only be the role's.
        return {"json": {"current_password": PASSWORD, "new_password": PASSWORD}}
    if (method, path) == ("post", "/api/v1/me/email"):
        # The right password and an address nobody has, likewise.
        fresh = f"matrix-{uuid.uuid4().hex[:10]}@example.com"
        return {"json": {"email": fresh, "password": PASSWORD}}
    content = operation.get("requestBody", {}).get("content", {})
    if "application/json" in content:
        return {"json": example(content["application/json"]["schema"], components)}
    return {}


async def signed_in(system, user: KasaClient, workspace_id: str) -> KasaClient:
    """A new session of ``user``, acting in ``workspace_id``."""
    client = KasaClient(system.gateway)
    client.user = user.user
    tokens = await client.http.post(
        "/api/v1/auth/token", json={"email": user.user["email"], "password": PASSWORD}
    )
    assert tokens.status_code == 200, tokens.text
    client.token = tokens.json()["access_token"]
    switched = await client.post("/api/v1/auth/switch", json={"workspace_id": workspace_id})
    assert switched.status_code == 200, switched.text
    client.token = switched.json()["access_token"]
    return client


async def one_workspace_of_every_role(system) -> tuple[str, dict[str, Any]]:
    owner = await system.user()
    workspace_id = str(owner.user["workspace_id"])
    users: dict[str, KasaClient] = {"owner": owner}
    for role in ("admin", "member", "viewer"):
        user = await system.user()
        invited = await owner.post(
            "/api/v1/invitations", json={"email": user.user["email"], "role": role}
        )
        assert invited.status_code == 201, invited.text
        accepted = await user.post(
            "/api/v1/invitations/accept", json={"token": invited.json()["token"]}
        )
        assert accepted.status_code == 200, accepted.text
        assert accepted.json()["role"] == role
        users[role] = user
    return workspace_id, users


@pytest.mark.e2e
@pytest.mark.asyncio(loop_scope="session")
async def test_every_role_below_each_operations_minimum_is_refused_through_the_gateway(system):
    workspace_id, users = await one_workspace_of_every_role(system)
    sessions = {role: await signed_in(system, users[role], workspace_id) for role in ROLES}
    for role, session in sessions.items():
        me = (await session.get("/api/v1/me")).json()
        assert me["workspace"]["role"] == role, me

    document = (await sessions["viewer"].get("/api/v1/openapi.json")).json()
    assert "x-kasa-missing-services" not in document["info"]
    components = document["components"]["schemas"]
    operations = write_operations(document)
    # Operations that may end sessions (a password change ends them all) come last, each
    # on a new session of its own.
    ending = {
        ("delete", "/api/v1/auth/session"),
        ("post", "/api/v1/me/password"),
        ("put", "/api/v1/auth/session/workspace"),
    }
    refused: list[str] = []
    allowed: list[str] = []
    extra_sessions: list[KasaClient] = []
    for (method, template), operation in sorted(
        operations.items(), key=lambda item: (item[0] in ending, item[0])
    ):
        minimum = operation[MIN_ROLE]
        if minimum == PUBLIC:
            continue
        label = f"{method.upper()} {template}"
        for role in ROLES:
            session = sessions[role]
            if (method, template) in ending:
                session = await signed_in(system, users[role], workspace_id)
                extra_sessions.append(session)
            path = path_of(template)
            # The instance operator (``operator``) is above every workspace role: all refused.
            if MARK_RANK[role] < MARK_RANK[minimum]:
                # A body that is not even JSON: the refusal must come before any parsing.
                garbage = {"content": b"{not json", "headers": {"content-type": "application/json"}}
                kwargs = garbage if "requestBody" in operation else {}
                response = await session.request(method.upper(), path, **kwargs)
                assert response.status_code == 403, (label, role, response.text)
                assert response.headers["content-type"] == "application/problem+json", label
                refused.append(f"{label} as {role}")
            else:
                kwargs = body_of(method, template, operation, components)
                response = await session.request(method.upper(), path, **kwargs)
                assert response.status_code != 403, (label, role, response.text)
                assert response.status_code < 500, (label, role, response.text)
                allowed.append(f"{label} as {role}")
    for client in [*sessions.values(), *extra_sessions, *users.values()]:
        await client.close()

    assert any("PUT /api/v1/supplier as member" == r for r in refused), refused
    assert any("PUT /api/v1/plugins/{plugin_name}/config as member" == r for r in refused)
    assert any("POST /api/v1/invoices/{invoice_id}/cancel as member" == r for r in refused)
    assert any("POST /api/v1/transactions/{transaction_id}/void as member" == r for r in refused)
    assert any("POST /api/v1/clients as viewer" == r for r in refused)
    assert any("PUT /api/v1/supplier as admin" == a for a in allowed), allowed
    # Every non-public operation was tried with every role: those below it refused.
    minimums = [op[MIN_ROLE] for op in operations.values() if op[MIN_ROLE] != PUBLIC]
    assert len(refused) == sum(MARK_RANK[m] for m in minimums) > 50
    assert len(refused) + len(allowed) == len(ROLES) * len(minimums)


OLD_IBAN = "CZ6508000000192000145399"
NEW_IBAN = "CZ5508000000001234567899"
FIO_TOKEN = "Qx7m" * 16  # a well-formed 64-character Fio token


async def browser_page(system, user: KasaClient, workspace_id: str, path: str) -> str:
    """``path`` as the web application renders it for ``user`` acting in ``workspace_id``."""
    browser = KasaClient(system.gateway)
    try:
        signed = await browser.http.post(
            "/api/v1/auth/session", json={"email": user.user["email"], "password": PASSWORD}
        )
        assert signed.status_code == 200, signed.text
        # The cookies are Secure; this plain-HTTP client hands them back itself.
        cookies = "; ".join(f"{name}={value}" for name, value in browser.http.cookies.items())
        browser.http.cookies.clear()
        headers = {"Cookie": cookies, "X-CSRF-Token": signed.json()["csrf_token"]}
        moved = await browser.http.put(
            "/api/v1/auth/session/workspace", json={"workspace_id": workspace_id}, headers=headers
        )
        assert moved.status_code == 204, moved.text
        page = await browser.http.get(path, headers={"Cookie": cookies})
        assert page.status_code == 200, page.text
        return page.text
    finally:
        await browser.close()


@pytest.mark.e2e
@pytest.mark.asyncio(loop_scope="session")
async def test_bank_details_need_an_admin_are_audited_and_shown_to_the_owners(system):
    workspace_id, users = await one_workspace_of_every_role(system)
    owner, admin, member = [
        await signed_in(system, users[role], workspace_id) for role in ("owner", "admin", "member")
    ]
    profile = {"name": "Studio", "iban": OLD_IBAN, "number_format": "{year}-{seq:04d}"}
    assert (await owner.put("/api/v1/supplier", json=profile)).status_code == 200

    # A member can neither redirect the payments nor replace the bank credentials.
    hijack = await member.put("/api/v1/supplier", json={**profile, "iban": NEW_IBAN})
    assert hijack.status_code == 403, hijack.text
    credentials = {"settings": {}, "credentials": {"token": FIO_TOKEN}}
    refused = await member.put("/api/v1/plugins/fio/config", json=credentials)
    assert refused.status_code == 403, refused.text
    assert (await owner.get("/api/v1/supplier")).json()["iban"] == OLD_IBAN
    assert (await owner.get("/api/v1/plugins/fio/config")).json()["credentials_set"] == []

    # An admin can; the trail has the IBAN before and after, the credential only as changed.
    changed = await admin.put("/api/v1/supplier", json={**profile, "iban": NEW_IBAN})
    assert changed.status_code == 200, changed.text
    configured = await admin.put("/api/v1/plugins/fio/config", json=credentials)
    assert configured.status_code == 200, configured.text

    async def trail(kind: str) -> list[dict[str, Any]]:
        return await owner.all_items("/api/v1/audit-events", entity_type=kind)

    admin_id = users["admin"].user["user_id"]
    supplier_entries = await eventually(
        lambda: trail("supplier_profile"),
        lambda items: any("iban" in e["changes"] and e["actor"]["id"] == admin_id for e in items),
        what="the IBAN change in the audit trail",
    )
    [iban] = [e["changes"]["iban"] for e in supplier_entries if e["actor"]["id"] == admin_id]
    assert (iban["before"], iban["after"], iban["redacted"]) == (OLD_IBAN, NEW_IBAN, False)
    plugin_entries = await eventually(
        lambda: trail("plugin_config"),
        lambda items: any(e["actor"]["id"] == admin_id for e in items),
        what="the credential change in the audit trail",
    )
    [entry] = [e for e in plugin_entries if e["actor"]["id"] == admin_id]
    assert entry["changes"]["credentials.token"] == {
        "before": None,
        "after": None,
        "redacted": True,
    }
    assert FIO_TOKEN not in str(plugin_entries)

    # Every owner is told on the dashboard; a member is not.
    dashboard = await browser_page(system, users["owner"], workspace_id, "/")
    assert "Bank details changed" in dashboard
    assert OLD_IBAN in dashboard and NEW_IBAN in dashboard
    assert "Credentials of the fio bank connection were changed" in dashboard
    assert FIO_TOKEN not in dashboard
    assert "Bank details changed" not in await browser_page(
        system, users["member"], workspace_id, "/"
    )

    # The member's pages offer no form they could not save.
    page = await browser_page(system, users["member"], workspace_id, "/supplier")
    assert "Save profile" not in page and "Only admins and owners" in page
    page = await browser_page(system, users["member"], workspace_id, "/bank/fio")
    assert "Save configuration" not in page and "Only admins and owners" in page
    for client in (owner, admin, member, *users.values()):
        await client.close()
