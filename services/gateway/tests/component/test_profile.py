"""A person's own profile (name, language) and a browser session moving between workspaces."""

from .conftest import PASSWORD, bearer, events, login, register


def test_profile_changes_only_what_is_sent_and_is_audited(client):
    register(client)
    auth = bearer(login(client))
    assert client.get("/api/v1/me", headers=auth).json()["locale"] is None
    changed = client.patch("/api/v1/me", headers=auth, json={"locale": "cs"})
    assert changed.status_code == 200, changed.text
    assert changed.json()["locale"] == "cs" and changed.json()["name"] == "Eva"
    assert (
        client.patch("/api/v1/me", headers=auth, json={"name": "Eva K."}).json()["locale"] == "cs"
    )
    [first, second] = events(client, "identity.user.profile_changed.v1")
    assert set(first.payload.changes) == {"locale"}
    name = second.payload.changes["name"]
    assert (name.before, name.after) == ("Eva", "Eva K.")
    # Nothing changed, nothing recorded.
    client.patch("/api/v1/me", headers=auth, json={"name": "Eva K."})
    assert len(events(client, "identity.user.profile_changed.v1")) == 2


def test_profile_refuses_an_unknown_language_and_an_empty_name(client):
    register(client)
    auth = bearer(login(client))
    for body in ({"locale": "de"}, {"name": ""}, {"name": None}, {"email": "x@example.com"}):
        refused = client.patch("/api/v1/me", headers=auth, json=body)
        assert refused.status_code == 422, body
        assert refused.headers["content-type"].startswith("application/problem+json")
    assert client.get("/api/v1/me", headers=auth).json()["name"] == "Eva"


def test_a_browser_session_switches_workspace_in_place(make_client):
    client = make_client(SESSION_COOKIE_SECURE="false")  # the test client speaks plain http
    register(client)
    auth = bearer(login(client))
    side = client.post("/api/v1/workspaces", headers=auth, json={"name": "Side"}).json()
    csrf = client.post(
        "/api/v1/auth/session", json={"email": "eva@example.com", "password": PASSWORD}
    ).json()["csrf_token"]
    before = client.get("/api/v1/me").json()["workspace"]["name"]
    moved = client.put(
        "/api/v1/auth/session/workspace",
        headers={"X-CSRF-Token": csrf},
        json={"workspace_id": side["id"]},
    )
    assert moved.status_code == 204, moved.text
    assert before == "Eva s.r.o." and client.get("/api/v1/me").json()["workspace"]["name"] == "Side"
    foreign = client.put(
        "/api/v1/auth/session/workspace",
        headers={"X-CSRF-Token": csrf},
        json={"workspace_id": "00000000-0000-0000-0000-000000000001"},
    )
    assert foreign.status_code == 404
    # A token that is not a browser session's cannot move one.
    assert (
        client.put(
            "/api/v1/auth/session/workspace",
            headers=auth,
            json={"workspace_id": side["id"]},
        ).status_code
        == 409
    )
