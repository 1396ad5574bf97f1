"""The gateway refuses an ended session's access token at once, publishes the revocation and
lists it for processes that start later."""

from uuid import UUID

import jwt

from .conftest import bearer, events, login, register
from .test_workspaces_and_roles import join


def sid(tokens) -> str:
    return jwt.decode(tokens["access_token"], options={"verify_signature": False})["sid"]


def test_a_logged_out_access_token_is_refused_by_the_gateway_at_once(client):
    register(client)
    tokens = login(client)
    assert client.get("/api/v1/me", headers=bearer(tokens)).status_code == 200
    assert client.post("/api/v1/auth/logout", headers=bearer(tokens)).status_code == 204
    refused = client.get("/api/v1/me", headers=bearer(tokens))
    assert refused.status_code == 401
    assert refused.json()["detail"] == "the session of this token has ended"
    [revoked] = events(client, "identity.session.revoked.v1")
    assert revoked.payload.session_ids == [UUID(sid(tokens))]
    assert revoked.payload.reason == "logged_out"


def test_the_revocations_in_force_are_listed_beside_the_jwks(client):
    register(client)
    ended, alive = login(client), login(client)
    client.post("/api/v1/auth/logout", json={"refresh_token": ended["refresh_token"]})
    listed = client.get("/.well-known/revoked-sessions.json")
    assert listed.status_code == 200
    [entry] = listed.json()["sessions"]
    assert entry["sid"] == sid(ended) != sid(alive)
    access = jwt.decode(ended["access_token"], options={"verify_signature": False})
    assert entry["until"] > access["exp"], "listed until its last token is gone"


def test_a_gateway_instance_started_later_refuses_an_earlier_revocation(make_client):
    first = make_client()
    register(first)
    tokens = login(first)
    first.post("/api/v1/auth/logout", headers=bearer(tokens))
    later = make_client()  # same database, its own deny set
    assert later.get("/api/v1/me", headers=bearer(tokens)).status_code == 401


def test_a_role_change_ends_the_members_sessions_in_that_workspace(client):
    register(client)
    owner = login(client)
    member = join(client, "adam@example.com", "member", owner)
    adam = jwt.decode(member["access_token"], options={"verify_signature": False})["sub"]
    assert client.get("/api/v1/me", headers=bearer(member)).status_code == 200
    changed = client.patch(
        f"/api/v1/members/{adam}", json={"role": "viewer"}, headers=bearer(owner)
    )
    assert changed.status_code == 200
    assert client.get("/api/v1/me", headers=bearer(member)).status_code == 401
    refreshed = client.post("/api/v1/auth/refresh", json={"refresh_token": member["refresh_token"]})
    assert refreshed.status_code == 401, "signs in again to act with the new role"
    assert client.get("/api/v1/me", headers=bearer(owner)).status_code == 200
