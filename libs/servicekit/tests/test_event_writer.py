"""The one way to write events: the envelope tells who, where, why, and which trace."""

from uuid import uuid4

from fastapi import APIRouter
from fastapi.testclient import TestClient
from opentelemetry import trace
from opentelemetry.trace import NonRecordingSpan, SpanContext, TraceFlags
from sqlalchemy import MetaData, select

from kasa_contracts import Actor, parse_envelope
from kasa_contracts.events.identity import UserRegistered
from kasa_contracts.events.integrations import TransactionImported
from kasa_servicekit.auth import Principal
from kasa_servicekit.context import causation_id_var, correlation_id_var
from kasa_servicekit.events import At, EventWriter, Pending, RecordedEvents
from kasa_servicekit.service import Events, ServiceSpec, create_app
from kasa_servicekit.settings import ServiceSettings
from kasa_servicekit.tables import outbox

writer = EventWriter("ledger")


def registered() -> UserRegistered:
    return UserRegistered(user_id=uuid4(), name="Eva", workspace_name="Eva s.r.o.")


def remote_trace(trace_id: int):
    span = SpanContext(
        trace_id=trace_id, span_id=0xABC, is_remote=True, trace_flags=TraceFlags.SAMPLED
    )
    return trace.set_span_in_context(NonRecordingSpan(span))


async def outbox_rows(db) -> list:
    async with db.sessions() as session:
        return list((await session.execute(select(outbox).order_by(outbox.c.id))).all())


def test_the_envelope_names_the_producer_workspace_actor_and_the_chain():
    workspace, cause = uuid4(), uuid4()
    actor = Actor(type="plugin", id="fio")
    corr, caused = correlation_id_var.set("sync-run-9"), causation_id_var.set(cause)
    try:
        envelope = writer.envelope(registered(), At(workspace, actor))
    finally:
        correlation_id_var.reset(corr)
        causation_id_var.reset(caused)

    assert envelope.producer == "ledger"
    assert (envelope.workspace_id, envelope.actor) == (workspace, actor)
    assert (envelope.correlation_id, envelope.causation_id) == ("sync-run-9", cause)
    assert (envelope.event_type, envelope.event_version) == ("identity.user.registered", 1)
    assert envelope.routing_key == "identity.user.registered.v1"


def test_a_callers_change_is_made_by_the_caller_in_their_workspace():
    principal = Principal(user_id=uuid4(), workspace_id=uuid4(), role="owner", name="Eva")

    envelope = writer.envelope(registered(), principal)

    assert envelope.workspace_id == principal.workspace_id
    assert envelope.actor == Actor(type="user", id=str(principal.user_id), name="Eva")
    assert envelope.correlation_id is None and envelope.causation_id is None


def test_a_change_an_event_caused_happens_where_and_by_whom_the_event_did(published):
    cause, _ = published()

    envelope = writer.envelope(registered(), cause)

    assert (envelope.workspace_id, envelope.actor) == (cause.workspace_id, cause.actor)
    assert envelope.producer == "ledger"
    # It continues the cause's chain, whatever the context says (a batch holds many causes).
    assert (envelope.correlation_id, envelope.causation_id) == (
        cause.correlation_id,
        cause.event_id,
    )


async def test_written_events_are_in_the_outbox_as_published(db):
    origin = At(uuid4(), Actor(type="system", id="ledger"))
    token = correlation_id_var.set("req-1")
    try:
        async with db.transaction() as session:
            written = await writer.write(session, registered(), registered(), on=origin)
    finally:
        correlation_id_var.reset(token)

    rows = await outbox_rows(db)
    assert [r.id for r in rows] == [e.event_id for e in written]
    assert [parse_envelope(r.body) for r in rows] == written
    assert {(r.routing_key, r.workspace_id, r.correlation_id) for r in rows} == {
        ("identity.user.registered.v1", origin.workspace_id, "req-1")
    }
    assert all(r.published_at is None for r in rows)


async def test_writing_no_events_writes_nothing(db):
    async with db.transaction() as session:
        assert await writer.write(session, on=At(uuid4(), Actor(type="system", id="x"))) == []
    assert await outbox_rows(db) == []


async def test_each_event_of_a_batch_continues_its_own_causes_trace(db, published):
    first, _ = published()
    second, _ = published()
    traces = (0x1111_2222_3333_4444_5555_6666_7777_8888, 0x9999_AAAA_BBBB_CCCC_DDDD_EEEE_FFFF_0001)

    async with db.transaction() as session:
        await writer.write_all(
            session,
            [
                Pending(registered(), first, remote_trace(traces[0])),
                Pending(registered(), second, remote_trace(traces[1])),
            ],
        )

    rows = await outbox_rows(db)
    assert [r.headers["traceparent"].split("-")[1] for r in rows] == [f"{t:032x}" for t in traces]
    assert [r.workspace_id for r in rows] == [first.workspace_id, second.workspace_id]
    assert [parse_envelope(r.body).causation_id for r in rows] == [first.event_id, second.event_id]


async def test_recorded_events_keep_what_a_use_case_wrote(published, imported):
    recorded = RecordedEvents("ledger")
    cause, _ = published()

    await recorded.write(None, imported(), registered(), on=cause)

    assert [e.producer for e in recorded.written] == ["ledger", "ledger"]
    assert [type(p) for p in recorded.payloads(TransactionImported)] == [TransactionImported]
    assert len(recorded.payloads()) == 2


def test_routes_get_the_services_one_writer_named_after_it(tmp_path, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path}/kit.db")
    router = APIRouter()

    @router.get("/producer")
    async def producer(events: Events) -> dict[str, str]:
        return {"producer": events.producer}

    spec = ServiceSpec(
        name="invoicing",
        version="0",
        settings=ServiceSettings(),
        metadata=MetaData(),
        migrations=tmp_path,
        routers=[router],
    )
    app = create_app(spec)

    assert TestClient(app).get("/producer").json() == {"producer": "invoicing"}
    assert app.state.runtime.events.producer == "invoicing"
