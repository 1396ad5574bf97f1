"""Proving an address and changing it, through the gateway's real app and database."""

import jwt

from .conftest import (
    PASSWORD,
    bearer,
    events,
    link_token,
    login,
    queued_mail,
    register,
    verify,
)


def claims(tokens) -> dict:
    return jwt.decode(tokens["access_token"], options={"verify_signature": False})


def test_an_unproven_account_works_but_invites_nobody_until_its_link_is_opened(client):
    register(client, verified=False)
    tokens = login(client)
    assert "email_verified" not in claims(tokens)
    me = client.get("/api/v1/me", headers=bearer(tokens)).json()
    assert me["email_verified"] is False and me["pending_email"] is None
    refused = client.post(
        "/api/v1/invitations", json={"email": "zoe@example.com"}, headers=bearer(tokens)
    )
    assert refused.status_code == 403, refused.text
    assert refused.headers["content-type"] == "application/problem+json"
    assert refused.json()["reason"] == "email_unverified"
    assert "verify your email address" in refused.json()["detail"]
    assert queued_mail(client, "zoe@example.com", "invitation") == []

    assert verify(client, "eva@example.com") == {"email": "eva@example.com", "changed": False}
    [proved] = events(client, "identity.user.email_verified.v1")
    assert proved.actor.type == "user"
    again = login(client)
    assert claims(again)["email_verified"] is True
    assert client.get("/api/v1/me", headers=bearer(again)).json()["email_verified"] is True
    invited = client.post(
        "/api/v1/invitations", json={"email": "zoe@example.com"}, headers=bearer(again)
    )
    assert invited.status_code == 201, invited.text


def test_a_used_link_is_refused_and_a_verified_address_asks_for_no_new_one(client):
    register(client, verified=False)
    token = link_token(queued_mail(client, "eva@example.com", "email_verification")[-1])
    assert client.post("/api/v1/auth/verify-email", json={"token": token}).status_code == 200
    used = client.post("/api/v1/auth/verify-email", json={"token": token})
    assert used.status_code == 400 and "not valid any more" in used.json()["detail"]
    resent = client.post("/api/v1/me/email-verification", headers=bearer(login(client)))
    assert resent.status_code == 409


def test_a_browser_session_carries_the_claim_once_the_address_is_proven(make_client):
    client = make_client(SESSION_COOKIE_SECURE="false")  # the test client speaks plain HTTP
    register(client, verified=False)
    signed_in = client.post(
        "/api/v1/auth/session", json={"email": "eva@example.com", "password": PASSWORD}
    )
    assert signed_in.status_code == 200, signed_in.text
    csrf = {"X-CSRF-Token": signed_in.json()["csrf_token"]}
    assert client.get("/api/v1/me").json()["email_verified"] is False
    invite = {"email": "zoe@example.com"}
    assert client.post("/api/v1/invitations", json=invite, headers=csrf).status_code == 403
    verify(client, "eva@example.com", headers=csrf)
    invited = client.post("/api/v1/invitations", json=invite, headers=csrf)
    assert invited.status_code == 201, invited.text


def test_changing_the_address_waits_for_the_new_one_and_tells_the_old_one(client):
    register(client)
    register(client, email="adam@example.com", workspace="Adam")
    auth = bearer(login(client))

    def change(email, password=PASSWORD):
        return client.post(
            "/api/v1/me/email", json={"email": email, "password": password}, headers=auth
        )

    assert change("eva@new.cz", password="not it").status_code == 403
    assert change("ADAM@example.com").status_code == 409
    assert change("eva@example.com").status_code == 409
    asked = change("Eva@New.cz")
    assert asked.status_code == 202, asked.text
    me = client.get("/api/v1/me", headers=auth).json()
    assert (me["email"], me["pending_email"]) == ("eva@example.com", "eva@new.cz")
    assert events(client, "identity.user.email_change_requested.v1")

    assert verify(client, "eva@new.cz") == {"email": "eva@new.cz", "changed": True}
    [changed] = events(client, "identity.user.email_changed.v1")
    assert changed.payload.changes["email"].after == "eva@new.cz"
    [told] = queued_mail(client, "eva@example.com", "email_changed")
    assert "eva@new.cz" in told
    # The new address signs in; the old one is nobody's now.
    assert (
        client.get("/api/v1/me", headers=bearer(login(client, "eva@new.cz"))).json()[
            "pending_email"
        ]
        is None
    )
    old = client.post("/api/v1/auth/token", json={"email": "eva@example.com", "password": PASSWORD})
    assert old.status_code == 401
