"""Which parked messages a requeue or a discard takes: ``kasa dlq`` and the operator API
choose alike, and a dry run chooses exactly what the real run would."""

import json
from dataclasses import dataclass, field
from typing import Any

from kasa_servicekit.dead_letters import choose_for_discard, choose_for_requeue, describe


@dataclass
class Parked:
    message_id: str
    event_type: str = "integrations.transaction.imported"
    error: str = "IntegrityError: refused"
    headers: dict[str, Any] = field(default_factory=dict)
    type: str | None = None

    def __post_init__(self) -> None:
        self.headers = {"x-attempt": 3, "x-error": self.error, **self.headers}
        self.body = json.dumps({"event_type": self.event_type, "event_version": 1}).encode()


FORGED = "UntrustedSenderError: kasa-ledger may not send integrations.transaction.imported"


def ids(messages) -> list[str]:
    return [m.message_id for m in messages]


def test_a_requeue_leaves_a_message_parked_for_an_untrusted_sender():
    parked = [Parked("a"), Parked("forged", error=FORGED), Parked("b")]

    chosen, untrusted = choose_for_requeue(parked, event_type=None, limit=50, message_ids=set())

    assert ids(chosen) == ["a", "b"]
    assert ids(untrusted) == ["forged"]
    assert describe(parked[1]).untrusted and not describe(parked[0]).untrusted


def test_a_discard_drops_whatever_matches_the_forged_ones_too():
    parked = [Parked("a"), Parked("forged", error=FORGED)]

    assert ids(choose_for_discard(parked, event_type=None, limit=50, message_ids=set())) == [
        "a",
        "forged",
    ]


def test_ids_event_type_and_limit_narrow_the_choice():
    parked = [
        Parked("a"),
        Parked("inv", event_type="invoicing.invoice.issued"),
        Parked("b"),
        Parked("c"),
    ]
    narrow = {"event_type": "integrations.", "limit": 2, "message_ids": set()}

    assert ids(choose_for_requeue(parked, **narrow)[0]) == ["a", "b"]
    assert ids(choose_for_discard(parked, **narrow)) == ["a", "b"]
    one = {"event_type": None, "limit": 50, "message_ids": {"inv"}}
    assert ids(choose_for_requeue(parked, **one)[0]) == ["inv"]
    assert ids(choose_for_discard(parked, **one)) == ["inv"]


def test_untrusted_messages_do_not_count_against_a_requeues_limit():
    parked = [Parked("forged", error=FORGED), Parked("a"), Parked("b")]

    chosen, untrusted = choose_for_requeue(parked, event_type=None, limit=1, message_ids=set())

    assert (ids(chosen), ids(untrusted)) == (["a"], ["forged"])
