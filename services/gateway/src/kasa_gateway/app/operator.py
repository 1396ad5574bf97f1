"""The instance operator's actions: what ``kasa status``, ``kasa dlq`` and ``kasa mail`` do,
for the operator API, through the kit's one implementation and with the gateway's operator
settings.

A requeue, discard, retry or drop is logged with the operator who asked (the instance is no
workspace, so its audit trail has no place for it).
"""

import logging
from collections.abc import Awaitable
from typing import Any, TypeVar

import httpx

from kasa_gateway.domain.errors import (
    BrokerUnreachable,
    OperatorApiOff,
    ServiceUnreachable,
    UnknownEntity,
)
from kasa_gateway.settings import GatewaySettings
from kasa_servicekit import dead_letters, system_status
from kasa_servicekit.auth import Principal
from kasa_servicekit.dead_letters import Outcome, ParkedMessage
from kasa_servicekit.ops_client import MAIL_SERVICES, OpsTargets, get_json, post_json

log = logging.getLogger("kasa.gateway.operator")
T = TypeVar("T")


def targets(settings: GatewaySettings) -> OpsTargets:
    """Where the system is; refuses while the operator settings are incomplete."""
    missing = settings.operator_settings_missing()
    if missing:
        raise OperatorApiOff(missing)
    return settings.operator_targets()


async def _on_broker(call: Awaitable[T], queue: str) -> T:
    try:
        return await call
    except dead_letters.NoParkingQueue as exc:
        raise UnknownEntity(f"the parking queue of {queue}") from exc
    except dead_letters.BrokerUnreachable as exc:
        raise BrokerUnreachable from exc


async def status(settings: GatewaySettings) -> dict[str, Any]:
    """Every service's readiness, version, queues and outbox, and whether the broker answers."""
    return await system_status.collect(targets(settings))


async def parked(
    settings: GatewaySettings, queue: str, *, event_type: str | None, limit: int
) -> tuple[list[ParkedMessage], bool]:
    """The first ``limit`` parked messages of ``queue``, and whether more are parked."""
    found = await _on_broker(
        dead_letters.list_parked(
            targets(settings).amqp_url, queue, event_type=event_type, limit=limit + 1
        ),
        queue,
    )
    return found[:limit], len(found) > limit


async def parked_message(settings: GatewaySettings, queue: str, message_id: str) -> ParkedMessage:
    found = await _on_broker(
        dead_letters.list_parked(
            targets(settings).amqp_url, queue, message_ids={message_id}, limit=1
        ),
        queue,
    )
    if not found:
        raise UnknownEntity(f"parked message {message_id}")
    return found[0]


async def requeue(
    settings: GatewaySettings,
    operator: Principal,
    queue: str,
    *,
    message_ids: set[str],
    event_type: str | None,
    limit: int,
    dry_run: bool,
) -> Outcome:
    """Send parked messages back through ``kasa.replay``, as ``kasa dlq requeue`` does; those
    parked for an untrusted sender stay parked."""
    outcome = await _on_broker(
        dead_letters.requeue(
            targets(settings).amqp_url,
            queue,
            event_type=event_type,
            limit=limit,
            message_ids=message_ids,
            dry_run=dry_run,
        ),
        queue,
    )
    if not dry_run:
        log.info(
            "operator %s requeued %d parked message(s) of %s: %s",
            operator.user_id,
            len(outcome.done),
            queue,
            ", ".join(outcome.ids),
        )
    return outcome


async def discard(
    settings: GatewaySettings,
    operator: Principal,
    queue: str,
    *,
    message_ids: set[str],
    event_type: str | None,
    limit: int,
    dry_run: bool,
) -> Outcome:
    """Drop parked messages for good, as ``kasa dlq discard`` does."""
    outcome = await _on_broker(
        dead_letters.discard(
            targets(settings).amqp_url,
            queue,
            event_type=event_type,
            limit=limit,
            message_ids=message_ids,
            dry_run=dry_run,
        ),
        queue,
    )
    if not dry_run:
        log.warning(
            "operator %s discarded %d parked message(s) of %s: %s",
            operator.user_id,
            len(outcome.done),
            queue,
            ", ".join(outcome.ids),
        )
    return outcome


async def mail(settings: GatewaySettings, status: str) -> dict[str, Any]:
    """Each mail-sending service's counts and its mail of ``status``, as ``kasa mail list``;
    a service that does not answer is reported with the reason, the others still are."""
    where = targets(settings)
    found: dict[str, Any] = {}
    for service in MAIL_SERVICES:
        try:
            found[service] = await get_json(where, service, "/ops/mail", status=status)
        except httpx.HTTPError as exc:
            found[service] = {"error": f"{type(exc).__name__}: {exc}"}
    return found


async def mail_action(
    settings: GatewaySettings,
    operator: Principal,
    service: str,
    action: str,
    *,
    ids: list[str] | None,
    dry_run: bool,
) -> dict[str, Any]:
    """Retry or drop a service's parked mail (``ids``, or all of it), as ``kasa mail``."""
    if service not in MAIL_SERVICES:
        raise UnknownEntity(f"the mail of {service}")
    body = {"ids": ids, "dry_run": dry_run}
    try:
        done: dict[str, Any] = await post_json(
            targets(settings), service, f"/ops/mail/{action}", body
        )
    except httpx.HTTPError as exc:
        raise ServiceUnreachable(f"{service} did not answer: {type(exc).__name__}") from exc
    if not dry_run:
        log.info(
            "operator %s: mail %s at %s: %s (%s)",
            operator.user_id,
            action,
            service,
            done,
            ", ".join(ids) if ids else "every parked mail",
        )
    return done
