"""Invitations, switching workspace, member roles, password policy and password change."""

import jwt

from .conftest import PASSWORD, bearer, events, login, register


def claims(tokens):
    return jwt.decode(tokens["access_token"], options={"verify_signature": False})


def invite(client, owner, email, role="member"):
    response = client.post(
        "/api/v1/invitations", json={"email": email, "role": role}, headers=bearer(owner)
    )
    assert response.status_code == 201, response.text
    return response.json()


def join(client, email, role="member", owner=None):
    """Register ``email``, have Eva invite them, accept, switch; their tokens in Eva's workspace."""
    register(client, email=email, workspace=f"{email}'s own")
    owner = owner or login(client)
    invitation = invite(client, owner, email.upper(), role)
    assert invitation["url"].endswith(invitation["token"])
    own = login(client, email=email)
    accepted = client.post(
        "/api/v1/invitations/accept", json={"token": invitation["token"]}, headers=bearer(own)
    )
    assert accepted.status_code == 200, accepted.text
    switched = client.post(
        "/api/v1/auth/switch",
        json={"workspace_id": accepted.json()["workspace_id"]},
        headers=bearer(own),
    )
    assert switched.status_code == 200, switched.text
    return switched.json()


def test_an_invited_person_joins_and_switches_workspace(client):
    eva = register(client)
    owner = login(client)
    adam = join(client, "adam@example.com", role="viewer", owner=owner)
    assert claims(adam)["wid"] == eva["workspace_id"] and claims(adam)["role"] == "viewer"
    me = client.get("/api/v1/me", headers=bearer(adam)).json()
    assert me["workspace"]["name"] == "Eva s.r.o." and me["workspace"]["role"] == "viewer"

    mine = client.get("/api/v1/workspaces", headers=bearer(adam)).json()["items"]
    assert sorted(w["role"] for w in mine) == ["owner", "viewer"]
    members = client.get("/api/v1/members", headers=bearer(owner)).json()["items"]
    assert [(m["email"], m["role"]) for m in members] == [
        ("eva@example.com", "owner"),
        ("adam@example.com", "viewer"),
    ]
    [added] = events(client, "identity.member.added.v1")
    assert str(added.workspace_id) == claims(owner)["wid"]
    # Eva's trail shows Adam entering her workspace.
    [entered] = [
        e for e in events(client, "identity.user.logged_in.v1") if e.payload.method == "switch"
    ]
    assert str(entered.workspace_id) == eva["workspace_id"]
    assert entered.actor.type == "user" and entered.actor.id == claims(adam)["sub"]
    # The refreshed token carries the membership it was issued for.
    again = client.post("/api/v1/auth/refresh", json={"refresh_token": adam["refresh_token"]})
    assert claims(again.json())["wid"] == eva["workspace_id"]


def test_an_invitation_works_once_and_only_for_its_email(client):
    register(client)
    owner = login(client)
    register(client, email="mallory@example.com")
    register(client, email="adam@example.com")
    invitation = invite(client, owner, "adam@example.com")
    mallory = login(client, email="mallory@example.com")
    adam = login(client, email="adam@example.com")

    def accept(tokens):
        return client.post(
            "/api/v1/invitations/accept",
            json={"token": invitation["token"]},
            headers=bearer(tokens),
        ).status_code

    assert accept(mallory) == 404
    assert accept(adam) == 200
    assert accept(adam) == 404, "used up"


def test_switching_to_a_workspace_you_are_not_in_is_404(client):
    register(client)
    other = register(client, email="adam@example.com")
    eva = login(client)
    response = client.post(
        "/api/v1/auth/switch", json={"workspace_id": other["workspace_id"]}, headers=bearer(eva)
    )
    assert response.status_code == 404


def test_only_owners_and_admins_manage_members(client):
    register(client)
    owner = login(client)
    viewer = join(client, "vera@example.com", "viewer", owner)
    admin = join(client, "alma@example.com", "admin", owner)
    vera_id = claims(viewer)["sub"]
    eva_id = claims(owner)["sub"]

    assert (
        client.post(
            "/api/v1/invitations", json={"email": "x@example.com"}, headers=bearer(viewer)
        ).status_code
        == 403
    )
    patch = client.patch(
        f"/api/v1/members/{vera_id}", json={"role": "member"}, headers=bearer(viewer)
    )
    assert patch.status_code == 403

    promote = client.patch(
        f"/api/v1/members/{vera_id}", json={"role": "member"}, headers=bearer(admin)
    )
    assert promote.status_code == 200 and promote.json()["role"] == "member"
    [updated] = events(client, "identity.member.updated.v1")
    assert updated.payload.changes["role"].before == "viewer"

    assert (
        client.patch(
            f"/api/v1/members/{eva_id}", json={"role": "member"}, headers=bearer(admin)
        ).status_code
        == 403
    ), "admins do not touch owners"
    assert (
        client.post(
            "/api/v1/invitations",
            json={"email": "o@example.com", "role": "owner"},
            headers=bearer(admin),
        ).status_code
        == 403
    ), "nor make new ones"
    assert (
        client.patch(
            f"/api/v1/members/{eva_id}", json={"role": "admin"}, headers=bearer(owner)
        ).status_code
        == 409
    ), "the last owner stays"


def test_a_removed_member_loses_their_sessions_there(client):
    register(client)
    owner = login(client)
    adam = join(client, "adam@example.com", "member", owner)
    adam_id = claims(adam)["sub"]
    assert client.delete(f"/api/v1/members/{adam_id}", headers=bearer(owner)).status_code == 204
    refreshed = client.post("/api/v1/auth/refresh", json={"refresh_token": adam["refresh_token"]})
    assert refreshed.status_code == 401
    assert client.delete(f"/api/v1/members/{adam_id}", headers=bearer(owner)).status_code == 404


def test_invitations_of_another_workspace_are_not_found(client):
    register(client)
    register(client, email="adam@example.com")
    eva, adam = login(client), login(client, email="adam@example.com")
    invitation = invite(client, eva, "zoe@example.com")
    assert (
        client.delete(f"/api/v1/invitations/{invitation['id']}", headers=bearer(adam)).status_code
        == 404
    )
    assert [
        i["id"] for i in client.get("/api/v1/invitations", headers=bearer(eva)).json()["items"]
    ] == [invitation["id"]]
    assert client.get("/api/v1/invitations", headers=bearer(adam)).json()["items"] == []


def test_a_withdrawn_invitation_is_published_once_and_no_longer_accepted(client):
    register(client)
    eva = login(client)
    invitation = invite(client, eva, "zoe@example.com")
    url = f"/api/v1/invitations/{invitation['id']}"
    assert client.delete(url, headers=bearer(eva)).status_code == 204
    assert client.delete(url, headers=bearer(eva)).status_code == 204, "withdrawing is idempotent"
    [revoked] = events(client, "identity.invitation.revoked.v1")
    assert str(revoked.payload.invitation_id) == invitation["id"]
    assert revoked.payload.email == "zoe@example.com"
    assert revoked.actor.type == "user" and revoked.actor.id == claims(eva)["sub"]
    register(client, email="zoe@example.com")
    zoe = login(client, email="zoe@example.com")
    accepted = client.post(
        "/api/v1/invitations/accept", json={"token": invitation["token"]}, headers=bearer(zoe)
    )
    assert accepted.status_code == 404


def test_weak_passwords_are_refused_with_reasons(client):
    for password, reason in [
        ("Password1234", "commonly used"),
        ("qwertyuiop123", "commonly used"),
        ("zoe.novakova.cz@example.com", "email"),
        ("Zoe.Novakova.cz", "email"),
    ]:
        response = client.post(
            "/api/v1/auth/register",
            json={
                "email": "zoe.novakova.cz@example.com",
                "password": password,
                "name": "Zoe",
                "workspace_name": "Z",
            },
        )
        assert response.status_code == 422, password
        assert reason in response.json()["detail"]
        assert response.json()["errors"][0]["loc"] == ["body", "password"]


def test_changing_the_password_revokes_the_other_sessions(client):
    register(client)
    here, elsewhere = login(client), login(client)
    wrong = client.post(
        "/api/v1/me/password",
        json={"current_password": "not the password", "new_password": "a brand new secret"},
        headers=bearer(here),
    )
    assert wrong.status_code == 403
    weak = client.post(
        "/api/v1/me/password",
        json={"current_password": PASSWORD, "new_password": "password1234"},
        headers=bearer(here),
    )
    assert weak.status_code == 422
    changed = client.post(
        "/api/v1/me/password",
        json={"current_password": PASSWORD, "new_password": "a brand new secret"},
        headers=bearer(here),
    )
    assert changed.status_code == 204
    refresh = "/api/v1/auth/refresh"
    assert (
        client.post(refresh, json={"refresh_token": elsewhere["refresh_token"]}).status_code == 401
    )
    assert client.post(refresh, json={"refresh_token": here["refresh_token"]}).status_code == 200
    assert (
        client.post(
            "/api/v1/auth/token", json={"email": "eva@example.com", "password": PASSWORD}
        ).status_code
        == 401
    )
    login(client, password="a brand new secret")
    [event] = events(client, "identity.user.password_changed.v1")
    assert event.payload.changes["password"].redacted
    assert "brand" not in event.model_dump_json()
