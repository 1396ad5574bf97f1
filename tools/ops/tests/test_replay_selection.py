import json
from datetime import UTC, datetime, timedelta

import pytest

from kasa_ops.replay import ReplayFilter
from kasa_ops.topics import topic_matches

T0 = datetime(2026, 3, 1, tzinfo=UTC)


@pytest.mark.parametrize(
    ("pattern", "key", "expected"),
    [
        ("#", "integrations.transaction.imported.v1", True),
        ("integrations.transaction.imported.v1", "integrations.transaction.imported.v1", True),
        ("integrations.*.imported.v1", "integrations.transaction.imported.v1", True),
        ("integrations.*.v1", "integrations.transaction.imported.v1", False),
        ("invoicing.invoice.#", "invoicing.invoice.issued.v1", True),
        ("invoicing.invoice.#", "invoicing.client.created.v1", False),
        ("ledger.#.v1", "ledger.v1", True),
    ],
)
def test_topic_patterns_match_as_rabbitmq_does(pattern, key, expected):
    assert topic_matches(pattern, key) is expected


def body(occurred: datetime, workspace: str = "w1") -> bytes:
    return json.dumps({"occurred_at": occurred.isoformat(), "workspace_id": workspace}).encode()


def test_the_filter_picks_queues_window_type_and_workspace():
    selection = ReplayFilter(
        queues={
            "ledger.transactions": ["integrations.transaction.imported.v1"],
            "ledger.invoices": ["invoicing.invoice.#"],
        },
        since=T0,
        until=T0 + timedelta(hours=1),
        workspace_id="w1",
    )
    imported = "integrations.transaction.imported.v1"
    assert selection.targets(imported, body(T0)) == ["ledger.transactions"]
    assert selection.targets("invoicing.invoice.issued.v1", body(T0)) == ["ledger.invoices"]
    assert selection.targets("audit.nothing.v1", body(T0)) == []
    assert selection.targets(imported, body(T0 - timedelta(seconds=1))) == []
    assert selection.targets(imported, body(T0 + timedelta(hours=1))) == []
    assert selection.targets(imported, body(T0, workspace="w2")) == []
    assert selection.targets(imported, b"not json") == []
    typed = ReplayFilter(queues=selection.queues, since=T0, event_types=("invoicing.",))
    assert typed.targets(imported, body(T0)) == []
