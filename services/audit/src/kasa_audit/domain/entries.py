"""How an event becomes an audit entry: its entity, action and source. No I/O."""

from typing import Any

from pydantic import Field

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
    # Sign-in events say where the person was: the address and browser belong to the source.
    for client_field in ("address", "user_agent"):
        if envelope.routing_key.startswith("identity.") and payload.get(client_field):
            source[client_field] = payload[client_field]
    return {
        "entity_type": entity_type,
        "entity_id": None if entity_value is None else str(entity_value),
        "action": action,
        "source": source,
        "source_plugin": source.get("plugin"),
        "changes": changes_of(payload),
    }


def changes_of(payload: dict[str, Any]) -> dict[str, Any]:
    """The before/after of each changed field (``payload["changes"]``), secrets only named.

    A field marked ``redacted`` keeps only that mark, even if a producer sent its values by
    mistake: the trail must never become the place where a secret leaks.
    """
    changes = payload.get("changes")
    if not isinstance(changes, dict):
        return {}
    kept: dict[str, Any] = {}
    for name, change in changes.items():
        if not isinstance(change, dict):
            continue
        if change.get("redacted"):
            kept[str(name)] = {"before": None, "after": None, "redacted": True}
        else:
            kept[str(name)] = {
                "before": change.get("before"),
                "after": change.get("after"),
                "redacted": False,
            }
    return kept


class ArchivedEnvelope(RawEnvelope):
    """An envelope with its message body exactly as published, to archive verbatim."""

    body: str = Field(exclude=True, description="the message body exactly as published")
