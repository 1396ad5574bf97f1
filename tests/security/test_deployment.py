"""Deployment: the local stack's data (databases, keys, logs) is readable by its user only.

The SQLite files were created 0644 under the usual umask, in a 0755 ``.data``: anyone on the
machine could copy every service's database. compose.yaml's key advice and the image pins are
checked by tests/contract/test_compose.py.
"""

import asyncio
import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from kasa_localstack.stack import SERVICES, private_data_dir, private_file, sqlite_urls
from kasa_servicekit.db import Database

OTHERS = stat.S_IRWXG | stat.S_IRWXO


@pytest.fixture(autouse=True)
def usual_umask() -> Iterator[None]:
    """The common default, under which a plain open() makes a world-readable file."""
    previous = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(previous)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_the_sqlite_files_and_their_directory_are_private(tmp_path: Path) -> None:
    data = tmp_path / ".data"
    urls = sqlite_urls(data)

    assert set(urls) == set(SERVICES)
    assert mode(data) == 0o700
    assert mode(data / "gateway") == 0o700  # where the development signing key is made
    assert mode(data / "integrations") == 0o700  # and the credentials keys
    for name in SERVICES:
        database = data / f"{name}.db"
        assert urls[name] == f"sqlite+aiosqlite:///{database}"
        assert database.exists() and mode(database) == 0o600, name


def test_files_of_an_earlier_run_are_tightened(tmp_path: Path) -> None:
    data = tmp_path / ".data"
    data.mkdir(mode=0o755)
    old = data / "ledger.db"
    old.write_bytes(b"")
    old.chmod(0o644)
    (data / "gateway").mkdir(mode=0o755)

    sqlite_urls(data)

    assert mode(data) == 0o700
    assert mode(data / "gateway") == 0o700
    assert mode(old) == 0o600


def test_what_sqlite_adds_beside_a_database_stays_private(tmp_path: Path) -> None:
    url = sqlite_urls(tmp_path / ".data")["ledger"]

    async def write() -> None:
        db = Database(url)
        try:
            async with db.transaction() as session:
                await session.execute(text("CREATE TABLE t (x INTEGER)"))
                await session.execute(text("INSERT INTO t VALUES (1)"))
            # The write-ahead log and shared memory exist while a connection is open.
            siblings = sorted((tmp_path / ".data").glob("ledger.db*"))
            assert {p.name for p in siblings} >= {"ledger.db", "ledger.db-wal", "ledger.db-shm"}
            for path in siblings:
                assert not mode(path) & OTHERS, f"{path.name} is {oct(mode(path))}"
        finally:
            await db.dispose()

    asyncio.run(write())


def test_private_files_and_directories(tmp_path: Path) -> None:
    log = private_file(tmp_path / "gateway.log")
    with open(log, "ab") as stream:
        stream.write(b"a line\n")
    assert mode(log) == 0o600
    assert log.read_bytes() == b"a line\n"
    private_file(log)  # again: the content stays
    assert log.read_bytes() == b"a line\n"

    data = private_data_dir(tmp_path / "nested" / "data")
    assert mode(data) == 0o700
