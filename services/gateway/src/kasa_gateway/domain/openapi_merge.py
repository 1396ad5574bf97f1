"""One OpenAPI document for the whole public API, merged from every service's own.

Each service describes its routes; the gateway keeps those under ``/api/v1/<resource>`` that
its route table sends to that service (and ``/portal`` for the portal's owner), adds its own,
and makes the description match what really crosses the wire: errors are RFC 9457 problem
documents, and protected operations want a bearer token.
"""

import copy
import json
from typing import Any

from kasa_gateway.domain.route_table import PORTAL_OWNER, RESOURCE_OWNERS

REF_PREFIX = "#/components/schemas/"
PUBLIC_OPERATIONS = {
    ("post", "/api/v1/auth/register"),
    ("post", "/api/v1/auth/token"),
    ("post", "/api/v1/auth/refresh"),
    ("post", "/api/v1/auth/session"),
    ("post", "/api/v1/auth/logout"),
    ("post", "/api/v1/auth/password-reset"),
    ("post", "/api/v1/auth/password-reset/confirm"),
    ("post", "/api/v1/auth/verify-email"),
}
HTTP_METHODS = {"get", "put", "post", "delete", "patch", "head", "options"}

PROBLEM_SCHEMA: dict[str, Any] = {
    "title": "Problem",
    "description": "An RFC 9457 problem document.",
    "type": "object",
    "required": ["type", "title", "status"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "instance": {"type": "string"},
        "errors": {"type": "array", "items": {"type": "object"}},
    },
    "additionalProperties": True,
}
PROBLEM_RESPONSE = {
    "description": "A problem: validation, authentication, rate limit, unavailable service…",
    "content": {"application/problem+json": {"schema": {"$ref": REF_PREFIX + "Problem"}}},
}


def owner_of(path: str) -> str | None:
    """The service the gateway routes ``path`` to; ``None`` for the gateway's own paths."""
    if path.startswith("/portal/") or path == "/portal":
        return PORTAL_OWNER
    parts = path.split("/")
    if len(parts) >= 4 and parts[1:3] == ["api", "v1"]:
        return RESOURCE_OWNERS.get(parts[3])
    return None


def _rewrite_refs(node: Any, renames: dict[str, str]) -> Any:
    if isinstance(node, dict):
        out = {}
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str) and value.startswith(REF_PREFIX):
                name = value[len(REF_PREFIX) :]
                out[key] = REF_PREFIX + renames.get(name, name)
            else:
                out[key] = _rewrite_refs(value, renames)
        return out
    if isinstance(node, list):
        return [_rewrite_refs(item, renames) for item in node]
    return node


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True)


def _public_paths(service: str, document: dict[str, Any]) -> dict[str, Any]:
    paths = document.get("paths", {})
    if service == "gateway":
        return {p: ops for p, ops in paths.items() if owner_of(p) is None}
    return {p: ops for p, ops in paths.items() if owner_of(p) == service}


def _describe_errors(operation: dict[str, Any], path: str, method: str) -> None:
    responses = operation.setdefault("responses", {})
    for status in list(responses):
        if status == "default" or not str(status).isdigit() or int(status) < 400:
            continue
        responses[status] = {
            "description": responses[status].get("description", "Problem"),
            "content": PROBLEM_RESPONSE["content"],
        }
    responses["default"] = PROBLEM_RESPONSE
    if (method, path) not in PUBLIC_OPERATIONS and not path.startswith("/portal"):
        operation.setdefault("security", [{"bearerAuth": []}])


def merge(documents: dict[str, dict[str, Any]], *, title: str, version: str) -> dict[str, Any]:
    """Merge ``{service: openapi document}`` (the gateway's own under ``"gateway"``)."""
    merged: dict[str, Any] = {
        "openapi": "3.1.0",
        "info": {
            "title": title,
            "version": version,
            "description": "Every public route of Kasa, as served through the gateway.",
        },
        "paths": {},
        "components": {
            "schemas": {"Problem": PROBLEM_SCHEMA},
            "securitySchemes": {
                "bearerAuth": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
            },
        },
    }
    schemas: dict[str, Any] = merged["components"]["schemas"]
    for service in sorted(documents, key=lambda s: (s != "gateway", s)):
        document = copy.deepcopy(documents[service])
        own = document.get("components", {}).get("schemas", {})
        renames = {
            name: f"{service}_{name}"
            for name, schema in own.items()
            if name in schemas and _canonical(schemas[name]) != _canonical(schema)
        }
        own = _rewrite_refs(own, renames)
        for name, schema in own.items():
            schemas[renames.get(name, name)] = schema
        for path, operations in _rewrite_refs(_public_paths(service, document), renames).items():
            for method, operation in operations.items():
                if method in HTTP_METHODS:
                    _describe_errors(operation, path, method)
                    operation.setdefault("tags", [service])
            merged["paths"].setdefault(path, {}).update(operations)
    # FastAPI's validation error models describe an answer the services never give.
    referenced = _canonical(merged["paths"])
    for name in ("HTTPValidationError", "ValidationError"):
        if (
            name in schemas
            and REF_PREFIX + name not in referenced
            and not any(REF_PREFIX + name in _canonical(s) for n, s in schemas.items() if n != name)
        ):
            del schemas[name]
    return merged
