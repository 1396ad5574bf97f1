"""A route's minimum role: refused below it with a 403 problem before the body is read,
allowed at and above it, and stated in the OpenAPI document."""

import uuid

import pytest
from fastapi import APIRouter, FastAPI, UploadFile
from fastapi.testclient import TestClient
from pydantic import BaseModel, ConfigDict

from kasa_servicekit.auth import (
    MIN_ROLE,
    AdminPrincipal,
    CurrentPrincipal,
    MemberPrincipal,
    OwnerPrincipal,
    ViewerPrincipal,
    WritingPrincipal,
    outranks,
    role_at_least,
)
from kasa_servicekit.minimum_roles import PUBLIC, declared_role, enforce_minimum_roles
from kasa_servicekit.problems import install_problem_handlers
from kasa_servicekit.testing import TokenIssuer

ROLES = ("viewer", "member", "admin", "owner")


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str


def make_router() -> APIRouter:
    router = APIRouter(prefix="/things")

    @router.get("")
    async def read(principal: CurrentPrincipal) -> dict[str, str]:
        return {"role": principal.role}

    @router.post("/mine")
    async def own_account(body: Body, principal: ViewerPrincipal) -> dict[str, str]:
        return {"role": principal.role}

    @router.post("")
    async def create(body: Body, principal: MemberPrincipal) -> dict[str, str]:
        return {"role": principal.role}

    @router.put("/payout")
    async def payout(body: Body, principal: AdminPrincipal) -> dict[str, str]:
        return {"role": principal.role}

    @router.delete("/everything")
    async def delete_all(principal: OwnerPrincipal) -> dict[str, str]:
        return {"role": principal.role}

    @router.post("/upload")
    async def upload(file: UploadFile, principal: MemberPrincipal) -> dict[str, int]:
        return {"size": len(await file.read())}

    @router.post("/open", openapi_extra={MIN_ROLE: PUBLIC})
    async def open_to_all() -> dict[str, bool]:
        return {"ok": True}

    return router


@pytest.fixture
def issuer():
    return TokenIssuer()


@pytest.fixture
def client(issuer):
    app = FastAPI()
    install_problem_handlers(app)
    issuer.install(app)
    router = make_router()
    enforce_minimum_roles([router])
    app.include_router(router)
    with TestClient(app) as client:
        yield client


def auth(issuer: TokenIssuer, role: str) -> dict[str, str]:
    return issuer.headers(uuid.uuid4(), role=role)


ROUTES = [
    ("POST", "/things/mine", "viewer"),
    ("POST", "/things", "member"),
    ("PUT", "/things/payout", "admin"),
    ("DELETE", "/things/everything", "owner"),
]


@pytest.mark.parametrize(("method", "path", "minimum"), ROUTES)
def test_each_role_below_the_minimum_is_refused_and_the_rest_allowed(
    client, issuer, method, path, minimum
):
    for role in ROLES:
        kwargs = {"json": {"name": "x"}} if method != "DELETE" else {}
        response = client.request(method, path, headers=auth(issuer, role), **kwargs)
        if outranks(role, minimum):
            assert response.status_code == 200, (role, response.text)
            assert response.json() == {"role": role}
        else:
            assert response.status_code == 403, (role, response.text)
            assert response.headers["content-type"] == "application/problem+json"
            problem = response.json()
            assert problem["required_role"] == minimum
            assert minimum in problem["detail"]


def test_the_refusal_comes_before_the_body_is_parsed_or_validated(client, issuer):
    member = auth(issuer, "member")
    not_json = {**member, "content-type": "application/json"}
    refused = client.put("/things/payout", content=b"{not json", headers=not_json)
    assert refused.status_code == 403, refused.text
    wrong_shape = client.put("/things/payout", json={"nope": 1}, headers=member)
    assert wrong_shape.status_code == 403
    assert "errors" not in wrong_shape.json()
    # The allowed role gets the validation it always got.
    admin = auth(issuer, "admin")
    invalid = client.put("/things/payout", json={"nope": 1}, headers=admin)
    assert invalid.status_code == 422


def test_an_upload_from_a_role_below_the_minimum_is_refused_unread(client, issuer):
    files = {"file": ("statement.xml", b"<x/>" * 1000, "application/xml")}
    refused = client.post("/things/upload", files=files, headers=auth(issuer, "viewer"))
    assert refused.status_code == 403
    allowed = client.post("/things/upload", files=files, headers=auth(issuer, "member"))
    assert allowed.json() == {"size": 4000}


def test_no_token_is_a_401_not_a_403(client):
    response = client.post("/things", json={"name": "x"})
    assert response.status_code == 401
    assert client.post("/things/open").status_code == 200


def test_the_openapi_document_states_each_operations_minimum_role(client):
    paths = client.get("/openapi.json").json()["paths"]
    assert paths["/things/mine"]["post"][MIN_ROLE] == "viewer"
    assert paths["/things"]["post"][MIN_ROLE] == "member"
    assert paths["/things/payout"]["put"][MIN_ROLE] == "admin"
    assert paths["/things/everything"]["delete"][MIN_ROLE] == "owner"
    assert paths["/things/upload"]["post"][MIN_ROLE] == "member"
    assert paths["/things/open"]["post"][MIN_ROLE] == PUBLIC
    assert MIN_ROLE not in paths["/things"]["get"]


def test_a_router_built_into_two_apps_is_gated_once(issuer):
    router = make_router()
    enforce_minimum_roles([router])
    enforce_minimum_roles([router])
    app = FastAPI()
    install_problem_handlers(app)
    issuer.install(app)
    app.include_router(router)
    with TestClient(app) as client:
        response = client.put("/things/payout", json={"name": "x"}, headers=auth(issuer, "admin"))
    assert response.status_code == 200


def test_a_hand_written_mark_that_contradicts_the_dependency_is_refused_at_startup():
    router = APIRouter()

    @router.post("/x", openapi_extra={MIN_ROLE: "member"})
    async def x(principal: AdminPrincipal) -> None:
        return None

    with pytest.raises(ValueError, match="says member"):
        enforce_minimum_roles([router])


def test_an_unknown_mark_is_refused_at_startup():
    router = APIRouter()

    @router.post("/x", openapi_extra={MIN_ROLE: "superuser"})
    async def x() -> None:
        return None

    with pytest.raises(ValueError, match="unknown"):
        enforce_minimum_roles([router])


def test_the_role_order_is_owner_admin_member_viewer():
    assert outranks("owner", "admin") and outranks("admin", "member")
    assert outranks("member", "viewer") and outranks("viewer", "viewer")
    assert not outranks("member", "admin") and not outranks("viewer", "member")
    assert not outranks("admin", "owner")
    assert not outranks("superuser", "viewer")
    with pytest.raises(ValueError):
        role_at_least("superuser")
    assert role_at_least("admin") is role_at_least("admin")


def test_the_former_writing_principal_is_the_member_minimum():
    router = APIRouter()

    @router.post("/x")
    async def x(principal: WritingPrincipal) -> None:
        return None

    route = router.routes[0]
    assert declared_role(route) == "member"  # type: ignore[arg-type]
