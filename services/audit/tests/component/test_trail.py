import json
from datetime import UTC, datetime
from uuid import uuid4

from sqlalchemy import select

from kasa_audit.db.tables import ArchivedEvent, AuditEntry, metadata
from kasa_servicekit.testing import sqlite_database

from .conftest import audit_all, deliver


def raw(event_type: str, payload: dict, actor_type: str = "plugin") -> bytes:
    return json.dumps(
        {
            "event_id": str(uuid4()),
            "event_type": event_type,
            "event_version": 1,
            "occurred_at": datetime.now(UTC).isoformat(),
            "producer": event_type.split(".")[0],
            "workspace_id": str(uuid4()),
            "actor": {"type": actor_type, "id": "fio", "name": "Fio"},
            "correlation_id": "sync-9",
            "payload": payload,
        }
    ).encode()


async def test_the_envelope_is_archived_verbatim_with_its_entry(tmp_path):
    body = raw(
        "integrations.transaction.imported",
        {
            "external_id": "x1",
            "plugin": "fio",
            "plugin_version": "1.2.0",
            "unknown_future_field": {"kept": True},
        },
    )
    async with sqlite_database(tmp_path, metadata) as db:
        await deliver(db, audit_all(str(db.engine.url)), body)
        async with db.sessions() as session:
            archived = await session.scalar(select(ArchivedEvent))
            entry = await session.scalar(select(AuditEntry))
    assert archived.body == body.decode()
    assert (entry.actor_type, entry.actor_id, entry.correlation_id) == ("plugin", "fio", "sync-9")
    assert entry.entity_id == "x1"
