"""Plugin listing and per-workspace configuration through the real app."""

import logging
import subprocess
import sys
from uuid import uuid4

from cryptography.fernet import Fernet
from sqlalchemy import create_engine, text


def outbox_bodies(database_path) -> list[str]:
    engine = create_engine(f"sqlite:///{database_path}")
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT routing_key, body FROM outbox ORDER BY id")).all()
    engine.dispose()
    return [f"{r[0]} {r[1]}" for r in rows]


def test_the_listing_describes_every_plugin_and_this_workspaces_state(client, token, finished):
    workspace = uuid4()
    body = client.get("/api/v1/plugins", headers=token(workspace)).json()
    plugins = {p["name"]: p for p in body["items"]}
    assert set(plugins) >= {"demo", "fio", "camt053"}
    fio = plugins["fio"]
    assert fio["credentials_schema"]["properties"]["token"]["writeOnly"] is True
    assert fio["settings_schema"]["properties"]["initial_days"]["default"] == 90
    assert fio["rate_limits"] == [{"requests": 1, "per_seconds": 30, "scope": "credentials"}]
    assert (fio["configured"], fio["enabled"], fio["last_sync"]) == (False, False, None)
    demo = plugins["demo"]
    assert (demo["configured"], demo["enabled"]) == (True, True), "the demo needs no setup"

    sync_id = client.post(
        "/api/v1/plugins/demo/syncs", json={"count": 3}, headers=token(workspace)
    ).json()["id"]
    finished(client, token(workspace), sync_id)
    demo = {
        p["name"]: p
        for p in client.get("/api/v1/plugins", headers=token(workspace)).json()["items"]
    }["demo"]
    assert demo["last_sync"]["id"] == sync_id and demo["last_sync"]["status"] == "completed"
    other = {
        p["name"]: p for p in client.get("/api/v1/plugins", headers=token(uuid4())).json()["items"]
    }
    assert other["demo"]["last_sync"] is None, "another workspace's syncs are not shown"


def test_configuration_is_validated_with_field_errors(client, token, canary):
    headers = token(uuid4())
    bad = client.put(
        "/api/v1/plugins/fio/config",
        json={
            "enabled": True,
            "settings": {"initial_days": 0, "typo": 1},
            "credentials": {"token": "short"},
        },
        headers=headers,
    )
    assert bad.status_code == 422
    locations = {tuple(e["loc"]) for e in bad.json()["errors"]}
    assert ("body", "settings", "initial_days") in locations
    assert ("body", "settings", "typo") in locations
    missing = client.put("/api/v1/plugins/fio/config", json={"settings": {}}, headers=headers)
    assert missing.status_code == 422
    assert ["body", "credentials", "token"] in [e["loc"] for e in missing.json()["errors"]]
    leaked = client.put(
        "/api/v1/plugins/fio/config",
        json={"settings": {}, "credentials": {"token": canary + "x"}},
        headers=headers,
    )
    assert leaked.status_code == 422 and canary not in leaked.text, "errors never echo secrets"
    assert client.put("/api/v1/plugins/nope/config", json={}, headers=headers).status_code == 404
    viewer = client.put("/api/v1/plugins/fio/config", json={}, headers=token(uuid4(), "viewer"))
    assert viewer.status_code == 403


def test_credentials_are_write_only_encrypted_and_never_leak(
    client, token, database_path, caplog, canary
):
    caplog.set_level(logging.DEBUG)
    workspace = uuid4()
    headers = token(workspace)
    put = client.put(
        "/api/v1/plugins/fio/config",
        json={"enabled": True, "settings": {"initial_days": 30}, "credentials": {"token": canary}},
        headers=headers,
    )
    assert put.status_code == 200, put.text
    assert put.json()["credentials_set"] == ["token"]
    got = client.get("/api/v1/plugins/fio/config", headers=headers)
    assert got.json() == {**put.json()} and canary not in got.text
    assert got.json()["settings"] == {"initial_days": 30, "overlap_days": 10}
    # Changing a setting keeps the stored token.
    client.put(
        "/api/v1/plugins/fio/config", json={"settings": {"initial_days": 60}}, headers=headers
    )
    assert client.get("/api/v1/plugins/fio/config", headers=headers).json()["credentials_set"] == [
        "token"
    ]
    # Another workspace sees nothing of it.
    other = client.get("/api/v1/plugins/fio/config", headers=token(uuid4())).json()
    assert (other["configured"], other["credentials_set"]) == (False, [])

    events = [
        b for b in outbox_bodies(database_path) if b.startswith("integrations.plugin.configured")
    ]
    assert len(events) == 2
    assert '"credentials.token":{"before":null,"after":null,"redacted":true}' in events[0].replace(
        " ", ""
    )
    assert '"changed_fields":["settings.initial_days"]' in events[1].replace(" ", "")
    with open(database_path, "rb") as db_file:
        assert canary.encode() not in db_file.read()
    for suffix in ("-wal", "-shm"):
        wal = database_path.with_name(database_path.name + suffix)
        if wal.exists():
            assert canary.encode() not in wal.read_bytes()
    assert all(canary not in b for b in outbox_bodies(database_path))
    assert canary not in caplog.text


def test_an_unconfigured_or_disabled_plugin_cannot_sync(client, token, canary):
    headers = token(uuid4())
    refused = client.post("/api/v1/plugins/fio/syncs", headers=headers)
    assert refused.status_code == 409 and refused.json()["reason"] == "not_configured"
    assert (
        client.put(
            "/api/v1/plugins/fio/config",
            json={"enabled": False, "credentials": {"token": canary}},
            headers=headers,
        ).status_code
        == 200
    )
    disabled = client.post("/api/v1/plugins/fio/syncs", headers=headers)
    assert disabled.status_code == 409 and disabled.json()["reason"] == "disabled"
    client.put("/api/v1/plugins/demo/config", json={"enabled": False}, headers=headers)
    assert (
        client.post("/api/v1/plugins/demo/syncs", json={"count": 1}, headers=headers).status_code
        == 409
    )
    upload_only = client.post("/api/v1/plugins/camt053/syncs", headers=headers)
    assert upload_only.status_code == 409 and upload_only.json()["reason"] == "upload_required"


def test_rotation_re_encrypts_under_the_newest_key(client, token, keys, database_path, canary):
    workspace = uuid4()
    headers = token(workspace)
    client.put(
        "/api/v1/plugins/fio/config", json={"credentials": {"token": canary}}, headers=headers
    )
    engine = create_engine(f"sqlite:///{database_path}")
    read = "SELECT credentials_ciphertext FROM plugin_configs"
    with engine.connect() as conn:
        before = conn.execute(text(read)).scalar_one()
    newest = Fernet.generate_key().decode()
    env = {
        "DATABASE_URL": f"sqlite+aiosqlite:///{database_path}",
        "CREDENTIALS_KEYS": ",".join([newest, *keys]),
        "PATH": "/usr/bin:/bin",
    }
    done = subprocess.run(
        [sys.executable, "-m", "kasa_integrations", "rotate-credentials"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert "re-encrypted 1" in done.stdout
    with engine.connect() as conn:
        after = conn.execute(text(read)).scalar_one()
    engine.dispose()
    assert after != before
    Fernet(newest.encode()).decrypt(after.encode())  # the newest key alone reads it now
    assert canary not in done.stdout + done.stderr
