"""``/api/v1/operator``: the instance operator's API, what ``kasa status``, ``kasa dlq`` and
``kasa mail`` do.

Only for instance operators (``OperatorPrincipal``: the token's ``operator`` claim), whatever
their workspace role; everyone else gets 403. Without the operator settings it answers 503.
Requeue, discard, retry and drop take a dry run that answers what they would do and changes
nothing.
"""

from typing import Annotated, Any, Literal
from uuid import UUID

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, ConfigDict, Field

from kasa_gateway.api.deps import Settings
from kasa_gateway.app import operator
from kasa_gateway.settings import GatewaySettings
from kasa_servicekit.auth import OperatorPrincipal, Principal
from kasa_servicekit.dead_letters import ParkedMessage
from kasa_servicekit.topology import parking_queue

router = APIRouter(prefix="/api/v1/operator", tags=["operator"])

QueueName = Annotated[
    str,
    Path(
        pattern=r"^[a-z0-9][a-z0-9_.-]{0,199}$",
        description="A consumer queue, e.g. ledger.transactions",
    ),
]


class BrokerOut(BaseModel):
    reachable: bool
    error: str | None = None


class OutboxOut(BaseModel):
    waiting: int
    oldest_age_s: float | None = None
    """Age of the oldest event not yet confirmed by the broker, in seconds."""


class QueueOut(BaseModel):
    queue: str
    routing_keys: list[str] = []
    messages: int | None = None
    consumers: int | None = None
    parked_messages: int | None = None
    """Messages in the queue's parking queue; ``null`` when the broker did not say."""


class ServiceOut(BaseModel):
    service: str
    ready: bool
    version: str | None = None
    checks: dict[str, str] | None = None
    outbox: OutboxOut | None = None
    queues: list[QueueOut] = []
    error: str | None = None
    """Why the service's ops listener could not be read."""


class StatusOut(BaseModel):
    broker: BrokerOut
    services: list[ServiceOut]


class ParkedOut(BaseModel):
    message_id: str | None
    event_type: str | None
    attempts: int | None
    error: str | None
    failed_at: str | None
    untrusted_sender: bool
    """Parked because its consumer refused its sender: a requeue leaves it parked."""

    @classmethod
    def of(cls, message: ParkedMessage) -> "ParkedOut":
        return cls(**message.summary(), untrusted_sender=message.untrusted)


class ParkedDetailOut(ParkedOut):
    headers: dict[str, Any]
    body: str
    """The message as it was published (UTF-8; undecodable bytes replaced)."""


class ParkedListOut(BaseModel):
    queue: str
    parking_queue: str
    items: list[ParkedOut]
    more: bool
    """More messages are parked than ``limit`` let through."""


class SelectionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    message_ids: list[Annotated[str, Field(max_length=200)]] | None = Field(
        default=None, min_length=1, max_length=1000
    )
    """Only these messages; leave it out for every parked message of the queue."""
    event_type: str | None = Field(default=None, max_length=200)
    """Only messages whose event type starts with this (a routing-key prefix)."""
    limit: int = Field(default=50, ge=1, le=10_000)
    dry_run: bool = False
    """Answer what would be done, and do nothing."""


class RequeueOut(BaseModel):
    dry_run: bool
    requeued: list[ParkedOut]
    """Sent back to the queue through kasa.replay (a dry run: would be)."""
    left_parked: list[ParkedOut]
    """Chosen but parked for an untrusted sender: never requeued (discard drops them)."""


class DiscardOut(BaseModel):
    dry_run: bool
    discarded: list[ParkedOut]
    """Dropped for good (a dry run: would be)."""


@router.get("/status", response_model=StatusOut)
async def status(_: OperatorPrincipal, settings: Settings) -> dict[str, Any]:
    """What ``kasa status`` shows: each service's readiness, version, queues and outbox."""
    return await operator.status(settings)


@router.get("/queues/{queue}/parked", response_model=ParkedListOut)
async def parked(
    queue: QueueName,
    _: OperatorPrincipal,
    settings: Settings,
    event_type: Annotated[str | None, Query(max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> ParkedListOut:
    """The parked messages of a consumer queue, oldest first, as ``kasa dlq list``."""
    found, more = await operator.parked(settings, queue, event_type=event_type, limit=limit)
    return ParkedListOut(
        queue=queue,
        parking_queue=parking_queue(queue),
        items=[ParkedOut.of(m) for m in found],
        more=more,
    )


@router.get("/queues/{queue}/parked/{message_id}", response_model=ParkedDetailOut)
async def parked_message(
    queue: QueueName,
    message_id: Annotated[str, Path(max_length=200)],
    _: OperatorPrincipal,
    settings: Settings,
) -> ParkedDetailOut:
    """One parked message with its headers, error and body, as ``kasa dlq show``."""
    message = await operator.parked_message(settings, queue, message_id)
    return ParkedDetailOut(
        **ParkedOut.of(message).model_dump(),
        headers=message.headers,
        body=message.body.decode(errors="replace"),
    )


@router.post("/queues/{queue}/parked/requeue", response_model=RequeueOut)
async def requeue(
    queue: QueueName, body: SelectionIn, principal: OperatorPrincipal, settings: Settings
) -> RequeueOut:
    """Send parked messages back to their queue, as ``kasa dlq requeue``: the same message
    id through kasa.replay, so a consumer that applied one already acknowledges it."""
    outcome = await operator.requeue(
        settings,
        principal,
        queue,
        message_ids=set(body.message_ids or ()),
        event_type=body.event_type,
        limit=body.limit,
        dry_run=body.dry_run,
    )
    return RequeueOut(
        dry_run=outcome.dry_run,
        requeued=[ParkedOut.of(m) for m in outcome.done],
        left_parked=[ParkedOut.of(m) for m in outcome.untrusted],
    )


@router.post("/queues/{queue}/parked/discard", response_model=DiscardOut)
async def discard(
    queue: QueueName, body: SelectionIn, principal: OperatorPrincipal, settings: Settings
) -> DiscardOut:
    """Drop parked messages for good, as ``kasa dlq discard``."""
    outcome = await operator.discard(
        settings,
        principal,
        queue,
        message_ids=set(body.message_ids or ()),
        event_type=body.event_type,
        limit=body.limit,
        dry_run=body.dry_run,
    )
    return DiscardOut(dry_run=outcome.dry_run, discarded=[ParkedOut.of(m) for m in outcome.done])


MailService = Annotated[
    str, Path(pattern=r"^(gateway|invoicing)$", description="A service that sends mail")
]
MailStatusQuery = Annotated[
    Literal["parked", "queued", "sent", "dropped"],
    Query(description="Which of the mail to list; parked by default"),
]


class MailOut(BaseModel):
    id: str
    kind: str
    recipient: str
    subject: str
    status: str
    attempts: int
    last_error: str | None = None
    created_at: str | None = None
    sent_at: str | None = None
    next_attempt_at: str | None = None


class ServiceMailOut(BaseModel):
    counts: dict[str, int] = {}
    """How much of the service's mail is queued, sent, parked and dropped."""
    smtp_configured: bool | None = None
    """Whether the service has an SMTP server to deliver to; without one, mail waits."""
    items: list[MailOut] = []
    error: str | None = None
    """Why the service's ops listener could not be read."""


class MailSelectionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    ids: list[UUID] | None = Field(default=None, min_length=1, max_length=1000)
    """Only these parked mails; leave it out for all of them."""
    dry_run: bool = False


@router.get("/mail", response_model=dict[str, ServiceMailOut])
async def mail(
    _: OperatorPrincipal, settings: Settings, status: MailStatusQuery = "parked"
) -> dict[str, Any]:
    """What ``kasa mail list`` shows: each mail-sending service's counts and its mail of
    ``status``, newest first."""
    return await operator.mail(settings, status)


@router.post("/mail/{service}/retry")
async def retry_mail(
    service: MailService, body: MailSelectionIn, principal: OperatorPrincipal, settings: Settings
) -> dict[str, Any]:
    """Send parked mail again, as ``kasa mail retry``: its attempts start over."""
    return await _mail_action(service, "retry", body, principal, settings)


@router.post("/mail/{service}/drop")
async def drop_mail(
    service: MailService, body: MailSelectionIn, principal: OperatorPrincipal, settings: Settings
) -> dict[str, Any]:
    """Give parked mail up for good, as ``kasa mail drop``: kept as dropped, its body cleared."""
    return await _mail_action(service, "drop", body, principal, settings)


async def _mail_action(
    service: str,
    action: str,
    body: MailSelectionIn,
    principal: Principal,
    settings: GatewaySettings,
) -> dict[str, Any]:
    ids = [str(i) for i in body.ids] if body.ids else None
    return await operator.mail_action(
        settings, principal, service, action, ids=ids, dry_run=body.dry_run
    )
