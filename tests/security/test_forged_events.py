"""M1: the event bus is not forgeable.

Each service connects as its own broker user, which may publish only its own events; the
broker validates each message's ``user_id``; every consumer parks an event that its type's
owner did not publish. A forged ``ledger.payment.matched`` must leave the invoice unpaid.
"""

import asyncio
import re
import uuid
from datetime import UTC, date, datetime
from pathlib import Path

import aio_pika
import pytest
from aiormq.exceptions import ChannelAccessRefused, ChannelPreconditionFailed

from kasa_contracts import Actor, Envelope
from kasa_contracts.events.ledger import PaymentMatched
from kasa_localstack.testing import eventually, issue_invoice
from kasa_servicekit.topology import broker_permissions

ROOT = Path(__file__).resolve().parents[2]
e2e = [pytest.mark.e2e, pytest.mark.asyncio(loop_scope="session")]


def payment(workspace_id: str, invoice_id: str, total: str) -> Envelope[PaymentMatched]:
    payload = PaymentMatched(
        match_id=uuid.uuid4(),
        invoice_id=uuid.UUID(invoice_id),
        transaction_id=uuid.uuid4(),
        amount=total,
        currency="CZK",
        paid_on=date(2026, 4, 2),
        reason="variable_symbol",
    )
    return Envelope[PaymentMatched](
        event_id=uuid.uuid4(),
        event_type=payload.event_type,
        event_version=1,
        occurred_at=datetime.now(UTC),
        producer="ledger",
        workspace_id=uuid.UUID(workspace_id),
        actor=Actor(type="system", id="ledger"),
        payload=payload,
    )


async def publish(
    amqp_url: str,
    envelope: Envelope[PaymentMatched],
    *,
    user_id: str | None,
    exchange: str = "kasa.events",
    routing_key: str | None = None,
) -> None:
    connection = await aio_pika.connect(amqp_url)
    async with connection:
        channel = await connection.channel(publisher_confirms=True)
        target = (
            channel.default_exchange
            if exchange == ""
            else await channel.get_exchange(exchange, ensure=False)
        )
        await target.publish(
            aio_pika.Message(
                envelope.model_dump_json().encode(),
                message_id=str(envelope.event_id),
                user_id=user_id,
                type=envelope.routing_key,
                content_type="application/json",
                delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
            ),
            routing_key=routing_key or envelope.routing_key,
            mandatory=True,
        )


async def parked_ids(amqp_url: str, queue: str) -> dict[str, str]:
    """Message id → error of what waits in ``queue``'s parking queue (left in place)."""
    found: dict[str, str] = {}
    connection = await aio_pika.connect(amqp_url)
    async with connection:
        channel = await connection.channel()
        parked = await channel.declare_queue(f"{queue}.parked", passive=True)
        while (message := await parked.get(no_ack=False, fail=False)) is not None:
            found[str(message.message_id)] = str((message.headers or {}).get("x-error"))
    return found


@pytest.mark.e2e
@pytest.mark.asyncio(loop_scope="session")
async def test_a_payment_forged_by_another_services_broker_user_leaves_the_invoice_unpaid(system):
    if not system.stack.config.broker_urls:
        pytest.skip("the broker is not local: no per-service users could be made")
    user = await system.user()
    invoice = await issue_invoice(user)
    workspace = user.user["workspace_id"]

    async def status() -> str:
        return str((await user.get(f"/api/v1/invoices/{invoice['id']}")).json()["status"])

    # Invoicing's user may not publish a ledger routing key: the broker closes the channel.
    with pytest.raises(ChannelAccessRefused):
        await publish(
            system.broker_url("invoicing"),
            payment(workspace, invoice["id"], invoice["total"]),
            user_id=system.broker_user("invoicing"),
        )
    # Nor claim to be the ledger, even straight into invoicing's queue: the broker validates
    # user_id against the connection's user.
    with pytest.raises(ChannelPreconditionFailed):
        await publish(
            system.broker_url("audit"),
            payment(workspace, invoice["id"], invoice["total"]),
            user_id=system.broker_user("ledger"),
            exchange="",
            routing_key="invoicing.payments",
        )
    # Straight into invoicing's queue through the default exchange, as audit or with no
    # user at all: the broker lets it in, invoicing's consumer parks it at once.
    as_audit = payment(workspace, invoice["id"], invoice["total"])
    anonymous = payment(workspace, invoice["id"], invoice["total"])
    for envelope, url, user_id in (
        (as_audit, system.broker_url("audit"), system.broker_user("audit")),
        (anonymous, system.amqp_url, None),
    ):
        await publish(url, envelope, user_id=user_id, exchange="", routing_key="invoicing.payments")

    parked = await eventually(
        lambda: parked_ids(system.amqp_url, "invoicing.payments"),
        lambda p: {str(as_audit.event_id), str(anonymous.event_id)} <= p.keys(),
        what="the forged payments parked",
    )
    for forged in (as_audit, anonymous):
        assert parked[str(forged.event_id)].startswith("UntrustedSenderError")
    await asyncio.sleep(1)
    assert await status() == "issued", "a forged payment marked the invoice paid"

    # The ledger's own user, with its user_id, is still applied.
    await publish(
        system.broker_url("ledger"),
        payment(workspace, invoice["id"], invoice["total"]),
        user_id=system.broker_user("ledger"),
    )
    await eventually(status, lambda s: s == "paid", what="the genuine payment applied")


@pytest.mark.e2e
@pytest.mark.asyncio(loop_scope="session")
async def test_a_service_cannot_read_another_services_queue(system):
    if not system.stack.config.broker_urls:
        pytest.skip("the broker is not local: no per-service users could be made")
    connection = await aio_pika.connect(system.broker_url("audit"))
    async with connection:
        channel = await connection.channel()
        queue = await channel.declare_queue("invoicing.payments", passive=True)
        with pytest.raises(ChannelAccessRefused):
            await queue.get(fail=False)


def test_compose_gives_each_service_the_users_and_rights_of_the_topology():
    script = (ROOT / "deploy" / "rabbitmq" / "init-users.sh").read_text()
    compose = (ROOT / "compose.yaml").read_text()
    for name, rights in broker_permissions().items():
        expected = (
            f'  user {rights.user} "$KASA_{name.upper()}_BROKER_PASSWORD" \\\n'
            f"    '{rights.configure}' '{rights.write}' '{rights.read}' \\\n"
            f"    '{rights.topic_write}' '{rights.topic_read}'"
        )
        assert expected in script, f"init-users.sh grants {rights.user} something else"
        variable = f"KASA_{name.upper()}_BROKER_PASSWORD"
        assert re.search(rf"\$\{{{variable}:\?", compose), f"{variable} must be required"
        if name != "ops":
            assert f"AMQP_URL: amqp://{rights.user}:${{{variable}:?" in compose
    plugins = (ROOT / "deploy" / "rabbitmq" / "enabled_plugins").read_text()
    assert "rabbitmq_management" not in plugins
