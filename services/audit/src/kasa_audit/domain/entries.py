"""How an event becomes an audit entry: its entity, action and source. No I/O."""

from typing import Any

from kasa_contracts import CATALOG, RawEnvelope


def describe(envelope: RawEnvelope) -> dict[str, Any]:
    """The audit fields of an event, for catalogued and unknown event types alike."""
    spec = CATALOG.get(envelope.routing_key)
    payload = envelope.payload
    if spec is not None:
        entity_type = spec.payload.entity_type
        entity_value = payload.get(spec.payload.entity_id_field)
        action = spec.payload.action()
    else:
        parts = envelope.event_type.split(".")
        entity_type = parts[1] if len(parts) > 2 else envelope.event_type
        entity_value = None
        action = parts[-1]
    source: dict[str, Any] = {"service": envelope.producer}
    if payload.get("plugin"):
        source["plugin"] = payload["plugin"]
        source["plugin_version"] = payload.get("plugin_version")
    return {
        "entity_type": entity_type,
        "entity_id": None if entity_value is None else str(entity_value),
        "action": action,
        "source": source,
        "changes": payload.get("changes") or {},
    }
