"""The rate limits are counted in the gateway's database, so two gateway instances on one
database enforce one budget, and each limit's window is the same on both."""

import asyncio
from pathlib import Path

import pytest
from sqlalchemy import event

import kasa_gateway
from kasa_gateway.db.rate_limits import SharedRateLimiter, delete_expired, stored_key
from kasa_servicekit.db import Database
from kasa_servicekit.migrations import upgrade

from .conftest import bearer, login, register
from .test_workspaces_and_roles import claims, join

MIGRATIONS = Path(kasa_gateway.__file__).parent / "db" / "migrations"


def sign_in(client, email="eva@example.com"):
    return client.post("/api/v1/auth/token", json={"email": email, "password": "wrong one!"})


def test_a_users_api_budget_is_one_whichever_instance_answers(make_client):
    first = make_client(API_RATE_PER_MINUTE="4")
    second = make_client()
    register(first)
    eva = bearer(login(second))
    answers = [client.get("/api/v1/me", headers=eva) for client in (first, second) * 2]
    assert [a.status_code for a in answers] == [200] * 4
    assert [a.headers["RateLimit-Remaining"] for a in answers] == ["3", "2", "1", "0"]
    for client in (first, second):
        refused = client.get("/api/v1/me", headers=eva)
        assert refused.status_code == 429, "the other instance used the budget"
        assert 0 < int(refused.headers["Retry-After"]) <= 60


def test_sign_ins_from_one_address_count_on_every_instance(make_client):
    first = make_client(LOGIN_RATE_PER_ADDRESS_PER_MINUTE="4", LOGIN_FAILURES_BEFORE_DELAY="50")
    second = make_client()
    answers = [sign_in(client).status_code for client in (first, second, first, second)]
    assert answers == [401] * 4
    assert sign_in(first, "someone@example.com").status_code == 429
    assert sign_in(second, "someone@example.com").status_code == 429


def test_the_admins_status_is_the_same_on_every_instance(make_client):
    # Under 20 a minute no instance claims hits ahead, so both count exactly.
    first = make_client(API_RATE_PER_MINUTE="19")
    second = make_client()
    register(first)
    owner = login(first)
    member = join(first, "adam@example.com", "member", owner)
    adam = claims(member)["sub"]

    def used(client):
        answer = client.get("/api/v1/rate-limits", headers=bearer(owner))
        assert answer.status_code == 200, answer.text
        return {m["user_id"]: m["used"] for m in answer.json()["items"][0]["members"]}[adam]

    before = used(first)
    for client in (first, second, first):
        assert client.get("/api/v1/me", headers=bearer(member)).status_code == 200
    assert used(second) == used(first) == before + 3


@pytest.fixture
async def database(tmp_path):
    url = f"sqlite+aiosqlite:///{tmp_path}/limits.db"
    await asyncio.to_thread(upgrade, MIGRATIONS, url)
    db = Database(url)
    yield db
    await db.dispose()


class Clock:
    def __init__(self, now: float = 1_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


async def test_concurrent_hits_on_three_instances_get_exactly_the_budget(database):
    # A deadline a loaded machine does not reach: this is about counting, not the fallback.
    instances = [SharedRateLimiter(database, "api", 50, deadline=60) for _ in range(3)]
    answers = await asyncio.gather(*(instances[i % 3].hit("user:1") for i in range(120)))
    assert sum(a.allowed for a in answers) == 50


async def test_claimed_ahead_the_instances_together_never_pass_the_budget(database):
    instances = [SharedRateLimiter(database, "api", 300, lease=32) for _ in range(3)]
    answers = [await instances[i % 3].hit("user:1") for i in range(600)]
    assert sum(a.allowed for a in answers) == 300, "spread over every instance: all of it"
    # A client that moves on leaves what its last instance claimed: lost, never exceeded.
    moving = [SharedRateLimiter(database, "moving", 300, lease=32) for _ in range(3)]
    allowed = 0
    for instance in moving:
        for _ in range(200):
            allowed += (await instance.hit("user:1")).allowed
    assert 300 - 2 * 32 <= allowed <= 300


async def test_a_busy_client_costs_a_statement_per_32_requests(database):
    limiter = SharedRateLimiter(database, "api", 1_000_000, lease=32)
    statements: list[str] = []
    event.listen(
        database.engine.sync_engine,
        "before_cursor_execute",
        lambda _conn, _cursor, sql, *_: statements.append(sql),
    )
    answers = [await limiter.hit("user:1") for _ in range(1000)]
    assert all(a.allowed for a in answers)
    assert [a.remaining for a in answers[:3]] == [999_999, 999_998, 999_997], "exact, alone"
    claims = [sql for sql in statements if sql.startswith("INSERT INTO rate_limit_windows")]
    assert len(claims) <= 1000 // 32 + 6


async def test_a_window_starts_with_its_first_hit_on_every_instance(database):
    clock = Clock()
    first, second = (SharedRateLimiter(database, "sign_in", 2, clock=clock) for _ in range(2))
    assert (await first.hit("10.0.0.5")).reset_after == 60
    clock.now += 45
    assert (await second.hit("10.0.0.5")).reset_after == 15, "the window the first one began"
    refused = await first.hit("10.0.0.5")
    assert not refused.allowed and refused.retry_after == 15
    [status] = await second.peek(["10.0.0.5"])
    assert (status.allowed, status.remaining, status.reset_after) == (False, 0, 15)
    clock.now += 15
    again = await second.hit("10.0.0.5")
    assert again.allowed and again.remaining == 1 and again.reset_after == 60
    assert (await first.hit("10.0.0.5")).allowed, "the new window, on the other instance too"
    assert not (await first.hit("10.0.0.5")).allowed


async def test_limits_and_keys_count_apart_also_when_long(database):
    sign_ins = SharedRateLimiter(database, "sign_in", 1)
    registrations = SharedRateLimiter(database, "registration", 1)
    assert (await sign_ins.hit("10.0.0.5")).allowed
    assert (await registrations.hit("10.0.0.5")).allowed, "another limit's own window"
    long = "10.0.0.5 " + "x" * 300
    assert stored_key(long).startswith("sha256:") and len(stored_key(long)) <= 128
    assert (await sign_ins.hit(long + "@a.cz")).allowed
    assert (await sign_ins.hit(long + "@b.cz")).allowed
    assert not (await sign_ins.hit(long + "@a.cz")).allowed


async def test_ended_windows_are_deleted_in_bounded_batches(database):
    clock = Clock()
    limiter = SharedRateLimiter(database, "api", 10, clock=clock)
    for key in range(5):
        await limiter.hit(f"user:{key}")
    clock.now += 30
    await limiter.hit("user:live")
    clock.now += 30
    assert await delete_expired(database, clock(), batch=2) == 2
    assert await delete_expired(database, clock(), batch=100) == 3
    assert await delete_expired(database, clock(), batch=100) == 0, "the live window stays"
    [status] = await limiter.peek(["user:live"])
    assert status.remaining == 9


async def test_without_its_database_an_instance_counts_on_its_own(tmp_path):
    empty = Database(f"sqlite+aiosqlite:///{tmp_path}/empty.db")  # no table: every query fails
    try:
        limiter = SharedRateLimiter(empty, "api", 2)
        answers = [await limiter.hit("user:1") for _ in range(3)]
        assert [a.allowed for a in answers] == [True, True, False]
        [status] = await limiter.peek(["user:1"])
        assert status.remaining == 0
    finally:
        await empty.dispose()
