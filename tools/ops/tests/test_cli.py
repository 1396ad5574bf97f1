"""The ``kasa`` command's wiring, with the services and the broker replaced by fakes."""

import json
from datetime import UTC, datetime

import pytest
from typer.testing import CliRunner

from kasa_ops.cli import app, ledger, outbox, replaying
from kasa_ops.replay import ReplayFilter, ReplayProgress

runner = CliRunner()

LEDGER_QUEUES = {
    "ledger.transactions": ["integrations.transaction.imported.v1"],
    "ledger.invoices": ["invoicing.invoice.#"],
}


@pytest.fixture
def replays(monkeypatch) -> list[ReplayFilter]:
    """Replays run from the stream, recorded instead of read from the broker."""
    ran: list[ReplayFilter] = []

    async def service_queues(config, service):
        assert service == "ledger"
        return dict(LEDGER_QUEUES)

    async def replay_from_stream(amqp_url, selection, **options):
        ran.append(selection)
        return ReplayProgress(read=7, matched=2, published=2, finished=True)

    monkeypatch.setattr(replaying, "service_queues", service_queues)
    monkeypatch.setattr(replaying, "replay_from_stream", replay_from_stream)
    return ran


@pytest.mark.parametrize(
    "command",
    [
        ["status"],
        ["replay"],
        ["dlq", "list"],
        ["dlq", "show"],
        ["dlq", "requeue"],
        ["dlq", "discard"],
        ["outbox", "status"],
        ["outbox", "republish"],
        ["audit", "verify"],
        ["ledger", "rebuild-invoices"],
    ],
)
def test_every_command_is_offered(command):
    assert runner.invoke(app, [*command, "--help"]).exit_code == 0


def test_a_replay_targets_every_queue_of_the_service_and_reports_its_counts(replays):
    result = runner.invoke(
        app, ["replay", "--service", "ledger", "--since", "2026-03-01T10:00", "--json"]
    )

    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == {
        "service": "ledger",
        "source": "stream",
        "queues": ["ledger.invoices", "ledger.transactions"],
        "read": 7,
        "matched": 2,
        "published": 2,
        "dry_run": False,
    }
    [selection] = replays
    assert selection.since == datetime(2026, 3, 1, 10, tzinfo=UTC)


def test_a_replay_from_an_unknown_source_is_a_usage_error(replays):
    result = runner.invoke(
        app, ["replay", "--service", "ledger", "--since", "2026-03-01", "--from", "tape"]
    )

    assert result.exit_code == 2
    assert "--from is stream or audit" in result.output
    assert replays == []


def test_rebuilding_the_invoice_projection_replays_only_into_its_queue(monkeypatch, replays):
    resets = []

    async def post_json(config, service, path, body):
        resets.append((service, path))
        return {"invoices_cleared": 3}

    monkeypatch.setattr(ledger, "post_json", post_json)

    result = runner.invoke(app, ["ledger", "rebuild-invoices", "--yes", "--json"])

    assert result.exit_code == 0, result.output
    assert resets == [("ledger", "/ops/ledger/invoice-projection/reset")]
    report = json.loads(result.output)
    assert (report["invoices_cleared"], report["queues"], report["matched"]) == (
        3,
        ["ledger.invoices"],
        2,
    )
    [selection] = replays
    assert selection.queues == {"ledger.invoices": ["invoicing.invoice.#"]}
    assert selection.event_types == ("invoicing.invoice.",)
    assert selection.since == datetime(1970, 1, 1, tzinfo=UTC)


def test_a_rebuild_not_confirmed_clears_nothing(monkeypatch, replays):
    async def post_json(config, service, path, body):
        raise AssertionError("nothing may be cleared")

    monkeypatch.setattr(ledger, "post_json", post_json)

    result = runner.invoke(app, ["ledger", "rebuild-invoices"], input="n\n")

    assert result.exit_code == 1
    assert replays == []


def test_republishing_sends_the_window_in_utc(monkeypatch):
    sent = []

    async def post_json(config, service, path, body):
        sent.append((service, path, body))
        return {"republished": 4}

    monkeypatch.setattr(outbox, "post_json", post_json)

    result = runner.invoke(
        app, ["outbox", "republish", "--service", "invoicing", "--since", "2026-03-01T08:00"]
    )

    assert result.exit_code == 0, result.output
    assert "invoicing: 4 event(s) queued for publishing again" in result.output
    assert sent == [
        (
            "invoicing",
            "/ops/outbox/republish",
            {"since": "2026-03-01T08:00:00+00:00", "event_type": None, "until": None},
        )
    ]


def test_a_dry_run_requeue_reports_what_it_would_do_and_what_stays_parked(monkeypatch):
    from kasa_ops.cli import dlq
    from kasa_servicekit.dead_letters import Outcome, ParkedMessage

    def parked(message_id: str, error: str) -> ParkedMessage:
        return ParkedMessage(message_id, "ledger.x.v1", 3, error, None, {}, b"{}")

    asked = []

    async def requeue(amqp_url, queue, **options):
        asked.append((queue, options))
        return Outcome(
            done=[parked("a", "boom")],
            untrusted=[parked("f", "UntrustedSenderError: x")],
            dry_run=options["dry_run"],
        )

    monkeypatch.setattr(dlq.dead_letters, "requeue", requeue)

    result = runner.invoke(
        app, ["dlq", "requeue", "-q", "ledger.transactions", "--dry-run", "--json"]
    )

    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert [m["message_id"] for m in report["would_requeue"]] == ["a"]
    assert [m["message_id"] for m in report["left_parked_untrusted_sender"]] == ["f"]
    assert asked[0][0] == "ledger.transactions" and asked[0][1]["dry_run"] is True
    # Without --dry-run the answer is what it always was.
    plain = runner.invoke(app, ["dlq", "requeue", "-q", "ledger.transactions", "--json"])
    assert json.loads(plain.output) == {"requeued": ["a"]}


def test_a_dry_run_discard_asks_nothing(monkeypatch):
    from kasa_ops.cli import dlq
    from kasa_servicekit.dead_letters import Outcome

    async def discard(amqp_url, queue, **options):
        assert options["dry_run"] is True
        return Outcome(done=[], dry_run=True)

    monkeypatch.setattr(dlq.dead_letters, "discard", discard)

    result = runner.invoke(app, ["dlq", "discard", "-q", "ledger.transactions", "--dry-run"])

    assert result.exit_code == 0, result.output
    assert "dry run: would discard 0 message(s) of ledger.transactions" in result.output
