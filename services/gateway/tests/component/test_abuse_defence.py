"""Sign-in throttling per account and address, API rate limits, body size limit, security
headers."""

import time

from .conftest import PASSWORD, bearer, events, login, register


def sign_in(client, email="eva@example.com", password="wrong password!", **headers):
    return client.post(
        "/api/v1/auth/token", json={"email": email, "password": password}, headers=headers
    )


def test_failed_sign_ins_make_the_address_wait_and_unknown_emails_look_the_same(make_client):
    client = make_client(
        peer=("10.0.0.5", 40000), LOGIN_FAILURES_BEFORE_DELAY="3", TRUSTED_PROXIES="10.0.0.0/8"
    )
    register(client)
    known = [sign_in(client) for _ in range(3)]
    unknown = [sign_in(client, email="ghost@example.com") for _ in range(3)]
    assert [r.status_code for r in known] == [r.status_code for r in unknown] == [401] * 3

    locked = sign_in(client, password=PASSWORD)
    ghost = sign_in(client, email="ghost@example.com")
    assert locked.status_code == ghost.status_code == 429, "that address waits, right or wrong"
    assert locked.json()["detail"] == ghost.json()["detail"]
    assert 0 < int(locked.headers["Retry-After"]) <= 60

    [lockout] = events(client, "identity.user.locked_out.v1")
    assert lockout.payload.failures == 3, "only the real account's lockout is an event"
    assert lockout.payload.address == "10.0.0.5"

    elsewhere = {"X-Forwarded-For": "203.0.113.9"}  # another person, behind our own proxy
    assert sign_in(client, password=PASSWORD, **elsewhere).status_code == 200


def test_a_successful_sign_in_resets_the_failure_count(make_client):
    client = make_client(LOGIN_FAILURES_BEFORE_DELAY="3")
    register(client)
    sign_in(client)
    sign_in(client)
    login(client)
    assert sign_in(client).status_code == 401
    assert sign_in(client).status_code == 401
    assert sign_in(client, password=PASSWORD).status_code == 200
    assert [e.payload.method for e in events(client, "identity.user.logged_in.v1")] == ["token"] * 2


def test_unknown_email_and_wrong_password_take_the_same_time(client):
    register(client)

    def timed(email):
        started = time.perf_counter()
        assert sign_in(client, email=email).status_code == 401
        return time.perf_counter() - started

    known = sorted(timed("eva@example.com") for _ in range(3))[1]
    unknown = sorted(timed(f"ghost{i}@example.com") for i in range(3))[1]
    # Both verify an argon2 hash; without the dummy hash the unknown email would be ~100x faster.
    assert unknown > known / 3


def test_sign_ins_are_rate_limited_per_address(make_client):
    client = make_client(LOGIN_RATE_PER_ADDRESS_PER_MINUTE="4")
    answers = [sign_in(client, email=f"user{i}@example.com").status_code for i in range(5)]
    assert answers == [401] * 4 + [429]
    limited = sign_in(client, email="someone@example.com")
    assert limited.headers["content-type"] == "application/problem+json"
    assert 0 < int(limited.headers["Retry-After"]) <= 60


def test_sign_ins_are_rate_limited_per_account_and_address(make_client):
    client = make_client(
        LOGIN_RATE_PER_ACCOUNT_ADDRESS_PER_MINUTE="2", LOGIN_FAILURES_BEFORE_DELAY="50"
    )
    register(client)
    answers = [sign_in(client).status_code for _ in range(3)]
    assert answers == [401, 401, 429]


def test_the_api_rate_limit_counts_per_user_and_says_so(make_client):
    client = make_client(API_RATE_PER_MINUTE="3")
    register(client)
    register(client, email="adam@example.com")
    eva, adam = login(client), login(client, email="adam@example.com")
    answers = [client.get("/api/v1/me", headers=bearer(eva)) for _ in range(3)]
    assert [a.status_code for a in answers] == [200] * 3
    assert [a.headers["RateLimit-Remaining"] for a in answers] == ["2", "1", "0"]
    assert answers[0].headers["RateLimit-Limit"] == "3"
    refused = client.get("/api/v1/me", headers=bearer(eva))
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) >= 1
    assert client.get("/api/v1/me", headers=bearer(adam)).status_code == 200, "adam has his own"


def test_oversized_bodies_are_refused(make_client):
    client = make_client(MAX_BODY_BYTES="2048")
    declared = client.post("/api/v1/auth/token", content=b"x" * 4096)
    assert declared.status_code == 413
    assert declared.headers["content-type"] == "application/problem+json"

    def chunks():
        for _ in range(8):
            yield b"x" * 1024

    streamed = client.post("/api/v1/auth/token", content=chunks())
    assert streamed.status_code == 413


def test_every_answer_carries_security_headers(client):
    for response in (client.get("/health/live"), client.get("/api/v1/nothing")):
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["x-frame-options"] == "DENY"
        assert "default-src 'none'" in response.headers["content-security-policy"]
        assert response.headers["referrer-policy"] == "no-referrer"
