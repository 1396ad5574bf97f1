"""How an event becomes an entry: entity, action and source, for every catalogued event."""

import json
from datetime import UTC, datetime
from uuid import uuid4

import pytest

from kasa_audit.domain.entries import describe
from kasa_contracts import CATALOG, RawEnvelope


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


@pytest.mark.parametrize("routing_key", sorted(CATALOG))
def test_every_catalogued_event_maps_to_an_entry(routing_key):
    spec = CATALOG[routing_key]
    assert spec.payload.entity_id_field in spec.payload.model_fields, "names a payload field"
    payload = {spec.payload.entity_id_field: "entity-1"}
    envelope = RawEnvelope.model_validate_json(raw(spec.payload.event_type, payload))
    entry = describe(envelope)
    assert entry["entity_type"] == spec.payload.entity_type
    assert entry["entity_id"] == "entity-1"
    assert entry["action"] == spec.payload.event_type.rsplit(".", 1)[-1]


def test_plugin_events_name_the_plugin_as_source():
    body = raw(
        "integrations.transaction.imported",
        {"external_id": "x1", "plugin": "fio", "plugin_version": "1.2.0"},
    )
    entry = describe(RawEnvelope.model_validate_json(body))
    assert entry["source"] == {
        "service": "integrations",
        "plugin": "fio",
        "plugin_version": "1.2.0",
    }
