"""The chain's hash of an entry is fixed forever: stored trails must keep verifying."""

from datetime import UTC, datetime, timedelta, timezone
from uuid import UUID

from kasa_audit.domain.chain import GENESIS, link

FIELDS = {
    "id": UUID(int=1),
    "event_id": UUID(int=2),
    "workspace_id": UUID(int=3),
    "seq": 1,
    "occurred_at": datetime(2026, 3, 1, 12, 0, tzinfo=UTC),
    # Any offset: the encoding is in UTC.
    "recorded_at": datetime(2026, 3, 1, 13, 0, 0, 5, tzinfo=timezone(timedelta(hours=1))),
    "event_type": "integrations.transaction.imported",
    "event_version": 1,
    "service": "integrations",
    "actor_type": "plugin",
    "actor_id": "fio",
    "actor_name": "Fio banka",
    "source": {"service": "integrations", "plugin": "fio", "plugin_version": "1.2.0"},
    "source_plugin": "fio",
    "entity_type": "transaction",
    "entity_id": "x1",
    "action": "imported",
    "changes": {"amount": {"before": None, "after": "100.00", "redacted": False}},
    "correlation_id": "sync-9",
    "causation_id": None,
    "trace_id": "a" * 32,
}


def test_the_hash_of_a_known_entry_has_not_changed():
    expected = "d012f5c399357999c8ce47191280de6519d1c168b449cd640d574749b07f6d8e"
    assert link(GENESIS, FIELDS) == expected
