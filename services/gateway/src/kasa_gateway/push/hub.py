"""Live push: events of a workspace fanned out to that workspace's WebSocket clients.

Every gateway instance consumes the pushed events from its own queue and keeps the most
recent ones per workspace, so a client that reconnects (to any instance) with the id of the
last event it saw gets what it missed, or a ``resync`` hint when that is no longer known.
"""

import asyncio
import json
import logging
from collections import OrderedDict, deque
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from kasa_contracts.envelope import Envelope, RawEnvelope

log = logging.getLogger("kasa.gateway.realtime")

PUSHED_EVENTS = (
    "integrations.sync.*.v1",
    "ledger.transactions.booked.v1",
    "ledger.payment.matched.v1",
    "ledger.payment.unmatched.v1",
    "invoicing.invoice.paid.v1",
)
"""Routing keys pushed to clients: sync progress and outcome, bookings (one notice per batch,
not one per transaction), matches, payments."""


def parse_pushed(body: bytes) -> Envelope[Any]:
    """Keep the payload as published: the gateway forwards it, it does not interpret it."""
    return RawEnvelope.model_validate_json(body)


def client_message(envelope: Envelope[Any]) -> str:
    return json.dumps(
        {
            "type": "event",
            "event_id": str(envelope.event_id),
            "event_type": envelope.event_type,
            "event_version": envelope.event_version,
            "workspace_id": str(envelope.workspace_id),
            "occurred_at": envelope.occurred_at.isoformat(),
            "correlation_id": envelope.correlation_id,
            "payload": envelope.payload,
        },
        default=str,
    )


@dataclass(eq=False)
class Listener:
    queue: asyncio.Queue[str | None] = field(default_factory=lambda: asyncio.Queue(1000))


class Hub:
    """Per-workspace listeners and a bounded backlog of recent events for resuming."""

    def __init__(self, backlog_per_workspace: int = 1000, max_workspaces: int = 10_000) -> None:
        self.backlog_per_workspace = backlog_per_workspace
        self.max_workspaces = max_workspaces
        self._listeners: dict[UUID, set[Listener]] = {}
        self._backlog: OrderedDict[UUID, deque[tuple[str, str]]] = OrderedDict()

    async def publish(self, envelope: Envelope[Any]) -> None:
        message = client_message(envelope)
        backlog = self._backlog.get(envelope.workspace_id)
        if backlog is None:
            backlog = self._backlog[envelope.workspace_id] = deque(
                maxlen=self.backlog_per_workspace
            )
            if len(self._backlog) > self.max_workspaces:
                self._backlog.popitem(last=False)
        self._backlog.move_to_end(envelope.workspace_id)
        backlog.append((str(envelope.event_id), message))
        for listener in list(self._listeners.get(envelope.workspace_id, ())):
            try:
                listener.queue.put_nowait(message)
            except asyncio.QueueFull:
                # Too slow to keep up: end its stream; it resumes from its last event id.
                self.unsubscribe(envelope.workspace_id, listener)
                listener.queue = asyncio.Queue(1)
                listener.queue.put_nowait(None)

    def subscribe(self, workspace_id: UUID, after: str | None) -> tuple[Listener, list[str], bool]:
        """Listen to a workspace; returns the missed messages and whether they are complete."""
        listener = Listener()
        self._listeners.setdefault(workspace_id, set()).add(listener)
        if after is None:
            return listener, [], True
        backlog = list(self._backlog.get(workspace_id, ()))
        ids = [event_id for event_id, _ in backlog]
        if after not in ids:
            return listener, [], False
        return listener, [message for _, message in backlog[ids.index(after) + 1 :]], True

    def unsubscribe(self, workspace_id: UUID, listener: Listener) -> None:
        listeners = self._listeners.get(workspace_id)
        if listeners is not None:
            listeners.discard(listener)
            if not listeners:
                del self._listeners[workspace_id]
