"""Admins see each member's sessions and sign them out, renew invitation links, and read the
workspace's rate-limit status; below admin, and an admin over an owner, are refused."""

from uuid import UUID

import jwt
from fastapi.testclient import TestClient

from .conftest import PASSWORD, bearer, events, login, register
from .test_workspaces_and_roles import invite, join


def claims(tokens) -> dict:
    return jwt.decode(tokens["access_token"], options={"verify_signature": False})


def browser_sign_in(client: TestClient, email: str) -> str:
    """Sign ``client`` in with a cookie, as a browser is; the session's CSRF token.

    Requests that carry a bearer token go by it, so the same client acts for others too."""
    signed_in = client.post(
        "/api/v1/auth/session",
        json={"email": email, "password": PASSWORD},
        headers={"User-Agent": "Firefox/140 on Linux"},
    )
    assert signed_in.status_code == 200, signed_in.text
    return str(signed_in.json()["csrf_token"])


def sessions(client, caller, user_id):
    answer = client.get(f"/api/v1/members/{user_id}/sessions", headers=bearer(caller))
    assert answer.status_code == 200, answer.text
    return answer.json()["items"]


def test_an_admin_lists_a_members_sessions_and_signs_one_out(client):
    register(client)
    owner = login(client)
    member = join(client, "adam@example.com", "member", owner)
    adam = claims(member)["sub"]
    second = client.post(
        "/api/v1/auth/switch",
        json={"workspace_id": claims(owner)["wid"]},
        headers={**bearer(member), "User-Agent": "Kasa mobile 1.0"},
    ).json()

    listed = sessions(client, owner, adam)
    assert {s["id"] for s in listed} == {claims(member)["sid"], claims(second)["sid"]}
    assert all(s["kind"] == "api" for s in listed)
    newest = next(s for s in listed if s["id"] == claims(second)["sid"])
    assert newest["user_agent"] == "Kasa mobile 1.0" and newest["address"] == "testclient"
    assert newest["started_at"] <= newest["last_seen_at"] < newest["expires_at"]

    ended = client.delete(
        f"/api/v1/members/{adam}/sessions/{claims(member)['sid']}", headers=bearer(owner)
    )
    assert ended.status_code == 204, ended.text
    assert client.get("/api/v1/me", headers=bearer(member)).status_code == 401, "at once"
    assert client.get("/api/v1/me", headers=bearer(second)).status_code == 200, "others live on"
    [revoked] = events(client, "identity.session.revoked.v1")
    assert revoked.payload.session_ids == [UUID(claims(member)["sid"])]
    assert revoked.payload.reason == "signed_out_by_admin"
    assert revoked.actor.id == claims(owner)["sub"]
    assert [s["id"] for s in sessions(client, owner, adam)] == [claims(second)["sid"]]
    again = client.delete(
        f"/api/v1/members/{adam}/sessions/{claims(member)['sid']}", headers=bearer(owner)
    )
    assert again.status_code == 404, "no longer a live session"


def test_signing_out_every_session_of_a_member_ends_their_browser_too(make_client):
    client = make_client(SESSION_COOKIE_SECURE="false")  # the test client speaks plain http
    register(client)
    owner = login(client)
    member = join(client, "adam@example.com", "member", owner)
    adam = claims(member)["sub"]
    csrf = browser_sign_in(client, "adam@example.com")
    # Adam's first workspace is his own: the browser acts there until it switches.
    moved = client.put(
        "/api/v1/auth/session/workspace",
        json={"workspace_id": claims(owner)["wid"]},
        headers={"X-CSRF-Token": csrf},
    )
    assert moved.status_code == 204, moved.text
    assert client.get("/api/v1/me").json()["workspace"]["id"] == claims(owner)["wid"]

    listed = sessions(client, owner, adam)
    assert sorted(s["kind"] for s in listed) == ["api", "web"]
    web = next(s for s in listed if s["kind"] == "web")
    assert web["user_agent"] == "Firefox/140 on Linux" and web["address"] == "testclient"

    ended = client.delete(f"/api/v1/members/{adam}/sessions", headers=bearer(owner))
    assert ended.status_code == 204, ended.text
    assert sessions(client, owner, adam) == []
    assert client.get("/api/v1/me", headers=bearer(member)).status_code == 401
    assert client.get("/api/v1/me").status_code == 401, "the browser is signed out as well"


def test_only_admins_manage_sessions_and_admins_not_those_of_owners(client):
    register(client)
    owner = login(client)
    admin = join(client, "ada@example.com", "admin", owner)
    member = join(client, "adam@example.com", "member", owner)
    eva, adam = claims(owner)["sub"], claims(member)["sub"]
    for path in (f"/api/v1/members/{eva}/sessions", f"/api/v1/members/{adam}/sessions"):
        assert client.get(path, headers=bearer(member)).status_code == 403
        assert client.delete(path, headers=bearer(member)).status_code == 403
    assert client.get(f"/api/v1/members/{eva}/sessions", headers=bearer(admin)).status_code == 403
    refused = client.delete(f"/api/v1/members/{eva}/sessions", headers=bearer(admin))
    assert refused.status_code == 403
    assert client.get("/api/v1/me", headers=bearer(owner)).status_code == 200
    assert len(sessions(client, admin, adam)) == 1
    stranger = register(client, email="olga@example.com", workspace="Olga's")
    unknown = client.get(f"/api/v1/members/{stranger['user_id']}/sessions", headers=bearer(owner))
    assert unknown.status_code == 404, "not a member of this workspace"


def test_resending_an_invitation_replaces_its_link(client):
    register(client)
    owner = login(client)
    first = invite(client, owner, "adam@example.com", "member")
    renewed = client.post(f"/api/v1/invitations/{first['id']}/resend", headers=bearer(owner))
    assert renewed.status_code == 200, renewed.text
    second = renewed.json()
    assert second["id"] == first["id"] and second["token"] != first["token"]
    assert second["url"].endswith(second["token"]) and second["expires_at"] >= first["expires_at"]
    invited = events(client, "identity.member.invited.v1")
    assert [e.payload.invitation_id for e in invited] == [UUID(first["id"])] * 2

    register(client, email="adam@example.com", workspace="Adam's")
    adam = login(client, email="adam@example.com")
    old = client.post(
        "/api/v1/invitations/accept", json={"token": first["token"]}, headers=bearer(adam)
    )
    assert old.status_code == 404, "the old link no longer works"
    new = client.post(
        "/api/v1/invitations/accept", json={"token": second["token"]}, headers=bearer(adam)
    )
    assert new.status_code == 200, new.text
    accepted = client.post(f"/api/v1/invitations/{first['id']}/resend", headers=bearer(owner))
    assert accepted.status_code == 404, "an accepted invitation is not pending"


def test_resending_is_for_admins_and_only_owners_resend_to_owners(client):
    register(client)
    owner = login(client)
    admin = join(client, "ada@example.com", "admin", owner)
    member = join(client, "adam@example.com", "member", owner)
    to_owner = invite(client, owner, "olga@example.com", "owner")
    to_member = invite(client, owner, "petr@example.com", "member")
    path = "/api/v1/invitations/{}/resend"
    assert client.post(path.format(to_member["id"]), headers=bearer(member)).status_code == 403
    assert client.post(path.format(to_owner["id"]), headers=bearer(admin)).status_code == 403
    assert client.post(path.format(to_member["id"]), headers=bearer(admin)).status_code == 200
    client.delete(f"/api/v1/invitations/{to_member['id']}", headers=bearer(owner))
    revoked = client.post(path.format(to_member["id"]), headers=bearer(owner))
    assert revoked.status_code == 404, "a withdrawn invitation stays withdrawn"
    other = register(client, email="ivo@example.com", workspace="Ivo's")
    ivo = login(client, email="ivo@example.com")
    assert other["workspace_id"] == claims(ivo)["wid"]
    assert client.post(path.format(to_owner["id"]), headers=bearer(ivo)).status_code == 404


def test_admins_read_how_much_of_the_api_limit_each_member_has_used(make_client):
    client = make_client(API_RATE_PER_MINUTE="50")
    register(client)
    owner = login(client)
    member = join(client, "adam@example.com", "member", owner)
    for _ in range(3):
        client.get("/api/v1/me", headers=bearer(member))
    answer = client.get("/api/v1/rate-limits", headers=bearer(owner))
    assert answer.status_code == 200, answer.text
    [limit] = answer.json()["items"]
    assert (limit["name"], limit["scope"], limit["limit"], limit["window_seconds"]) == (
        "api_requests",
        "user",
        50,
        60,
    )
    usage = {m["user_id"]: m for m in limit["members"]}
    adam = usage[claims(member)["sub"]]
    assert adam["used"] >= 3 and adam["used"] + adam["remaining"] == 50
    assert 0 < adam["reset_after"] <= 60
    again = client.get("/api/v1/rate-limits", headers=bearer(owner)).json()
    counted = {m["user_id"]: m["used"] for m in again["items"][0]["members"]}
    assert counted[claims(member)["sub"]] == adam["used"], "reading the status is no hit of his"
    assert client.get("/api/v1/rate-limits", headers=bearer(member)).status_code == 403
