"""Appending to the trail: every envelope archived verbatim, and one entry per event chained
onto its workspace's hash chain."""

from collections.abc import Sequence
from typing import Any
from uuid import UUID

from kasa_audit.db.trail import Trail
from kasa_audit.domain.anchors import is_chained
from kasa_audit.domain.chain import link
from kasa_audit.domain.entries import ArchivedEnvelope, describe
from kasa_servicekit.db import utcnow
from kasa_servicekit.ids import new_id

Traced = tuple[ArchivedEnvelope, str | None]
"""An envelope and the id of the trace it travelled with."""


async def append(trail: Trail, events: Sequence[Traced]) -> set[UUID]:
    """Archive the envelopes and chain one entry per event (but anchors) onto its trail; the
    ids of the events new to audit.

    An event already in the archive was applied before (a redelivery or a replay) and is left
    alone: the archive is audit's inbox. The new events of one workspace are chained in the
    order given, after the head the trail holds locked.
    """
    if not events:
        return set()
    archived = await trail.archive(
        [
            {
                "event_id": event.event_id,
                "routing_key": event.routing_key,
                "workspace_id": event.workspace_id,
                "occurred_at": event.occurred_at,
                "body": event.body,
            }
            for event, _ in events
        ]
    )
    chained = [
        (e, trace_id)
        for e, trace_id in events
        if e.event_id in archived and is_chained(e.routing_key)
    ]
    if not chained:
        return archived
    heads = await trail.lock_heads(event.workspace_id for event, _ in chained)
    moved: dict[UUID, tuple[int, str]] = {ws: (head.seq, head.hash) for ws, head in heads.items()}
    recorded_at = utcnow()
    entry_rows = []
    for event, trace_id in chained:
        seq, prev_hash = moved[event.workspace_id]
        fields: dict[str, Any] = {
            "id": new_id(),
            "event_id": event.event_id,
            "workspace_id": event.workspace_id,
            "seq": seq + 1,
            "occurred_at": event.occurred_at,
            "recorded_at": recorded_at,
            "event_type": event.event_type,
            "event_version": event.event_version,
            "service": event.producer,
            "actor_type": event.actor.type,
            "actor_id": event.actor.id,
            "actor_name": event.actor.name,
            "correlation_id": event.correlation_id,
            "causation_id": event.causation_id,
            "trace_id": trace_id,
            **describe(event),
        }
        entry_hash = link(prev_hash, fields)
        entry_rows.append({**fields, "prev_hash": prev_hash, "hash": entry_hash})
        moved[event.workspace_id] = (seq + 1, entry_hash)
    await trail.add_entries(entry_rows)
    await trail.save_heads(moved)
    return archived
