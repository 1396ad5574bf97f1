"""The mail outbox and relay on PostgreSQL against a real SMTP server on loopback."""

import asyncio
from datetime import timedelta
from uuid import uuid4

import pytest
from sqlalchemy import select

from kasa_localstack.mail_sink import MailSink
from kasa_localstack.testing import free_port
from kasa_servicekit.db import Database
from kasa_servicekit.mail_outbox import (
    Attachment,
    Mail,
    list_mail,
    mail_counts,
    mail_metadata,
    mail_outbox,
    queue_mail,
    retry_parked,
)
from kasa_servicekit.mail_relay import MailRelay, SmtpServer

pytestmark = [pytest.mark.integration, pytest.mark.asyncio(loop_scope="session")]

SENDER = "Kasa <kasa@example.com>"


def mail(n: int, key: str | None = None) -> Mail:
    return Mail(
        dedupe_key=key or f"test:{uuid4()}",
        kind="test",
        to=f"client-{n}@example.com",
        subject=f"Invoice {n}",
        text=f"Invoice {n} is attached.",
        html=f"<p>Invoice <b>{n}</b> is attached.</p>",
        attachments=(
            Attachment(f"invoice-{n}.pdf", "application/pdf", b"%PDF-1.4 " + bytes([n % 256])),
        ),
    )


async def database(url: str) -> Database:
    db = Database(url)
    async with db.engine.begin() as conn:
        await conn.run_sync(mail_metadata.create_all)
    return db


async def run_relays(relays: list[MailRelay]) -> list[asyncio.Task[None]]:
    return [asyncio.create_task(relay.run()) for relay in relays]


async def stop(tasks: list[asyncio.Task[None]]) -> None:
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


async def test_two_relays_deliver_every_mail_once_with_its_parts(real_infra, fresh_database):
    db = await database(fresh_database)
    sink = MailSink(free_port()).start()
    server = SmtpServer("127.0.0.1", sink.port)
    try:
        async with db.transaction() as session:
            for n in range(60):
                await queue_mail(session, mail(n))
        tasks = await run_relays(
            [MailRelay(db, server, SENDER, batch_size=7, poll_seconds=0.05) for _ in range(2)]
        )
        try:
            received = await sink.wait_for(60)
            await asyncio.sleep(0.5)  # a second delivery would arrive now
        finally:
            await stop(tasks)
        assert len(sink.messages) == 60, "a mail was sent twice or not at all"
        assert sorted(m["To"] for m in received) == sorted(
            f"client-{n}@example.com" for n in range(60)
        )
        sample = sink.to("client-7@example.com")[0]
        assert sample["From"] == SENDER
        assert sample["Subject"] == "Invoice 7"
        assert sample.get_body(("plain",)).get_content().strip() == "Invoice 7 is attached."
        assert "<b>7</b>" in sample.get_body(("html",)).get_content()
        [pdf] = list(sample.iter_attachments())
        assert pdf.get_filename() == "invoice-7.pdf"
        assert pdf.get_content().startswith(b"%PDF-1.4")
        counts = await mail_counts(db)
        assert counts["sent"] == 60 and counts["queued"] == 0
        # Nothing of a delivered mail's content stays behind.
        async with db.sessions() as s:
            bodies = (
                await s.execute(select(mail_outbox.c.text_body, mail_outbox.c.attachments))
            ).all()
        assert all(text == "" and attachments == [] for text, attachments in bodies)
    finally:
        sink.stop()
        await db.dispose()


async def test_the_same_dedupe_key_queues_one_mail(real_infra, fresh_database):
    db = await database(fresh_database)
    try:
        async with db.transaction() as session:
            first = await queue_mail(session, mail(1, key="invoice-reminder:abc:3"))
        async with db.transaction() as session:
            second = await queue_mail(session, mail(1, key="invoice-reminder:abc:3"))
        assert first is not None and second is None
        assert (await mail_counts(db))["queued"] == 1
    finally:
        await db.dispose()


async def test_mail_queued_while_the_server_is_down_is_delivered_once_it_is_up(
    real_infra, fresh_database
):
    db = await database(fresh_database)
    port = free_port()
    sink = MailSink(port)  # not started: connections are refused
    relay = MailRelay(
        db,
        SmtpServer("127.0.0.1", port, timeout_s=2),
        SENDER,
        poll_seconds=0.05,
        first_backoff=timedelta(milliseconds=200),
        longest_backoff=timedelta(milliseconds=400),
        max_attempts=1000,
    )
    tasks = await run_relays([relay])
    try:
        async with db.transaction() as session:
            for n in range(5):
                await queue_mail(session, mail(n))
        await asyncio.sleep(1.5)
        assert (await mail_counts(db))["queued"] == 5
        [one] = [m for m in await list_mail(db, "queued") if m.recipient == "client-0@example.com"]
        assert one.attempts >= 1 and one.last_error
        sink.start()
        received = await sink.wait_for(5)
        await asyncio.sleep(0.5)
        assert len(received) == 5 and len(sink.messages) == 5
    finally:
        await stop(tasks)
        sink.stop()
        await db.dispose()


async def test_a_refused_mail_is_parked_and_can_be_retried(real_infra, fresh_database):
    db = await database(fresh_database)
    sink = MailSink(free_port()).start()
    sink.refusing = True
    relay = MailRelay(db, SmtpServer("127.0.0.1", sink.port), SENDER, poll_seconds=0.05)
    try:
        async with db.transaction() as session:
            await queue_mail(session, mail(1))
        await relay.deliver_batch()
        [parked] = await list_mail(db, "parked")
        assert parked.recipient == "client-1@example.com"
        assert "550" in (parked.last_error or "")
        assert sink.messages == []
        sink.refusing = False
        assert await retry_parked(db) == 1
        await relay.deliver_batch()
        assert len(sink.to("client-1@example.com")) == 1
        assert (await mail_counts(db))["sent"] == 1
    finally:
        sink.stop()
        await db.dispose()
