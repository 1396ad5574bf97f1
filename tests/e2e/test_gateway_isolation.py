"""Workspace isolation across every route: another workspace's records are simply not there.

One record of every kind is created in a first workspace; a second workspace then calls every
templated route of the merged API description with those ids. Each answer must be what a
made-up id gets (404, or 422 where the body is refused before any lookup), never a success,
and the first workspace's records must be untouched afterwards.
"""

import re
import uuid
from typing import Any

import pytest

from kasa_localstack.testing import eventually

pytestmark = [pytest.mark.e2e, pytest.mark.asyncio(loop_scope="session")]

PARAM = re.compile(r"{([^}]+)}")
NOT_WORKSPACE_RECORDS = {"plugin_name", "token"}


def example(schema: dict[str, Any], components: dict[str, Any]) -> Any:
    """A minimal value that satisfies ``schema`` (required fields only)."""
    if "$ref" in schema:
        return example(components[schema["$ref"].rsplit("/", 1)[-1]], components)
    for key in ("anyOf", "oneOf"):
        if key in schema:
            options = [s for s in schema[key] if s.get("type") != "null"] or schema[key]
            return example(options[0], components)
    if "allOf" in schema:
        return example(schema["allOf"][0], components)
    if "enum" in schema:
        return schema["enum"][0]
    if "default" in schema:
        return schema["default"]
    kind = schema.get("type")
    if kind == "object" or "properties" in schema:
        props = schema.get("properties", {})
        return {k: example(props[k], components) for k in schema.get("required", []) if k in props}
    if kind == "array":
        return [example(schema.get("items", {}), components)] * schema.get("minItems", 0)
    if kind == "integer":
        return int(schema.get("minimum", 1))
    if kind == "number":
        return schema.get("minimum", 1)
    if kind == "boolean":
        return True
    fmt, pattern = schema.get("format"), schema.get("pattern", "")
    if fmt == "uuid":
        return str(uuid.uuid4())
    if fmt == "date":
        return "2026-01-15"
    if fmt == "date-time":
        return "2026-01-15T10:00:00Z"
    if "A-Z]{3}" in pattern:
        return "CZK"
    if "A-Z]{2}" in pattern:
        return "CZ"
    if "\\d" in pattern:
        return "1"
    return "x"


def body_for(operation: dict[str, Any], components: dict[str, Any]) -> Any:
    content = operation.get("requestBody", {}).get("content", {})
    if "application/json" not in content:
        return None
    return example(content["application/json"]["schema"], components)


async def created(user, path: str, body: dict[str, Any]) -> str | None:
    response = await user.post(path, json=body)
    return str(response.json()["id"]) if response.status_code in (200, 201) else None


async def one_of_everything(system, owner) -> dict[str, str]:
    """Ids in ``owner``'s workspace, keyed by the path parameter that names each kind."""
    ids: dict[str, str] = {}
    sync_id = await owner.start_sync(3)
    await owner.wait_sync(sync_id)
    ids["sync_id"] = sync_id
    transactions = await eventually(
        lambda: owner.all_items("/api/v1/transactions"),
        lambda items: len(items) >= 3,
        what="imported transactions",
    )
    ids["transaction_id"] = str(transactions[0]["id"])
    if client := await created(owner, "/api/v1/clients", {"name": "Acme"}):
        ids["client_id"] = client
        project = await created(
            owner, "/api/v1/projects", {"name": "Site", "client_id": client, "hourly_rate": "100"}
        )
        if project:
            ids["project_id"] = project
            entry = await created(
                owner,
                "/api/v1/work-entries",
                {"project_id": project, "work_date": "2026-01-15", "minutes": 60},
            )
            if entry:
                ids["entry_id"] = entry
        if invoice := await created(owner, "/api/v1/invoices", {"client_id": client}):
            ids["invoice_id"] = invoice
    me = (await owner.get("/api/v1/me")).json()
    ids["user_id"] = me["id"]
    invitation = await owner.post("/api/v1/invitations", json={"email": "zoe@example.com"})
    ids["invitation_id"] = invitation.json()["id"]
    return ids


async def call(user, method: str, path: str, body: Any):
    kwargs = {"json": body} if body is not None else {}
    return await user.http.request(method, path, headers=user.headers, **kwargs)


async def test_no_route_reveals_or_touches_another_workspaces_records(system):
    owner, stranger = await system.user(), await system.user()
    ids = await one_of_everything(system, owner)
    document = (await owner.get("/api/v1/openapi.json")).json()
    components = document["components"]["schemas"]

    checked: list[str] = []
    skipped: set[str] = set()
    for template, operations in sorted(document["paths"].items()):
        params = PARAM.findall(template)
        if not params or set(params) & NOT_WORKSPACE_RECORDS:
            continue
        if not set(params) <= ids.keys():
            skipped.add(template)
            continue
        theirs = PARAM.sub(lambda m: ids[m.group(1)], template)
        made_up = PARAM.sub(lambda m: str(uuid.uuid4()), template)
        for method, operation in operations.items():
            body = body_for(operation, components)
            foreign = await call(stranger, method.upper(), theirs, body)
            unknown = await call(stranger, method.upper(), made_up, body)
            label = f"{method.upper()} {template}"
            assert foreign.status_code == unknown.status_code, (label, foreign.text, unknown.text)
            assert foreign.status_code in (404, 422), (label, foreign.status_code, foreign.text)
            if foreign.status_code == 404:
                assert foreign.headers["content-type"] == "application/problem+json", label
                checked.append(label)

    assert len(checked) >= 8, f"too few routes checked: {checked}"
    for kind in ("sync_id", "transaction_id", "invitation_id"):
        assert any(kind in label for label in checked), kind

    # The owner still has every record the stranger tried to change or delete.
    assert (await owner.get(f"/api/v1/syncs/{ids['sync_id']}")).status_code == 200
    assert (await owner.get(f"/api/v1/transactions/{ids['transaction_id']}")).status_code == 200
    for kind, path in (
        ("client_id", "/api/v1/clients/{}"),
        ("project_id", "/api/v1/projects/{}"),
        ("entry_id", "/api/v1/work-entries/{}"),
        ("invoice_id", "/api/v1/invoices/{}"),
    ):
        if kind in ids:
            assert (await owner.get(path.format(ids[kind]))).status_code == 200, kind
    pending = (await owner.get("/api/v1/invitations")).json()["items"]
    assert [i["id"] for i in pending] == [ids["invitation_id"]]
    members = (await owner.get("/api/v1/members")).json()["items"]
    assert [m["user_id"] for m in members] == [ids["user_id"]]
