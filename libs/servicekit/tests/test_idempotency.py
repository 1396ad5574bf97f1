"""``Idempotency-Key``: a retried POST gets its first answer; a reused key with another body not."""

import json
from uuid import uuid4

import pytest

from kasa_servicekit.idempotency import Once, idempotency_metadata
from kasa_servicekit.problems import ProblemError

SCOPE = "POST /api/v1/accounts"
BODY = {"name": "Fio", "currency": "CZK"}


@pytest.fixture
async def keys_db(db):
    async with db.engine.begin() as conn:
        await conn.run_sync(idempotency_metadata.create_all)
    return db


def answer(response) -> tuple[int, object]:
    return response.status_code, json.loads(response.body)


async def test_a_retry_with_the_same_key_and_body_gets_the_stored_response(keys_db):
    workspace = uuid4()
    first = Once.of(workspace, SCOPE, "key-1", BODY)
    async with keys_db.transaction() as session:
        assert await first.replayed(session) is None
        response = await first.remember(session, {"id": "acc-1"}, status_code=201)
    assert answer(response) == (201, {"id": "acc-1"})

    again = Once.of(workspace, SCOPE, "key-1", dict(reversed(BODY.items())))
    async with keys_db.transaction() as session:
        replayed = await again.replayed(session)

    assert replayed is not None and answer(replayed) == (201, {"id": "acc-1"})


async def test_the_same_key_with_another_body_is_unprocessable(keys_db):
    workspace = uuid4()
    async with keys_db.transaction() as session:
        await Once.of(workspace, SCOPE, "key-1", BODY).remember(session, {"id": "acc-1"})

    other = Once.of(workspace, SCOPE, "key-1", BODY | {"currency": "EUR"})
    async with keys_db.transaction() as session:
        with pytest.raises(ProblemError) as problem:
            await other.replayed(session)

    assert problem.value.status == 422
    assert str(problem.value) == (
        "this Idempotency-Key was already used with a different request body"
    )


async def test_a_key_belongs_to_one_workspace_and_one_scope(keys_db):
    workspace = uuid4()
    async with keys_db.transaction() as session:
        await Once.of(workspace, SCOPE, "key-1", BODY).remember(session, {"id": "acc-1"})

    async with keys_db.transaction() as session:
        assert await Once.of(uuid4(), SCOPE, "key-1", BODY).replayed(session) is None
        assert (
            await Once.of(workspace, "POST /api/v1/loans", "key-1", BODY).replayed(session) is None
        )


async def test_without_a_key_nothing_is_stored_or_replayed(keys_db):
    once = Once.of(uuid4(), SCOPE, None, BODY)
    async with keys_db.transaction() as session:
        assert answer(await once.remember(session, {"id": "acc-1"})) == (201, {"id": "acc-1"})
        assert answer(await once.remember(session, {"id": "acc-2"})) == (201, {"id": "acc-2"})
    async with keys_db.transaction() as session:
        assert await once.replayed(session) is None


async def test_a_twin_request_that_lost_the_race_is_a_conflict(keys_db):
    workspace = uuid4()
    async with keys_db.transaction() as session:
        await Once.of(workspace, SCOPE, "key-1", BODY).remember(session, {"id": "acc-1"})

    with pytest.raises(ProblemError) as problem:
        async with keys_db.transaction() as session:
            await Once.of(workspace, SCOPE, "key-1", BODY).remember(session, {"id": "acc-2"})

    assert problem.value.status == 409
