"""The states of a sync run and the moves between them.

A run is requested (``pending``: queued for a worker), claimed by one worker (``running``),
and ends ``completed``, ``failed`` or ``cancelled``. A running run whose worker stopped renewing
its lease is claimed again (``running`` → ``running``) by another worker. The strings are the
ones the API has always returned; they are stored as they are.
"""

from enum import StrEnum

from kasa_integrations.domain.errors import IllegalTransition


class SyncStatus(StrEnum):
    PENDING = "pending"
    """Requested and queued; no worker has claimed it yet."""
    RUNNING = "running"
    """Claimed by a worker that holds its lease."""
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELLED = "cancelled"

    @property
    def active(self) -> bool:
        """Whether the run still holds its plugin's one slot in the workspace."""
        return self in ACTIVE

    @property
    def final(self) -> bool:
        return not self.active


ACTIVE: tuple[SyncStatus, ...] = (SyncStatus.PENDING, SyncStatus.RUNNING)
"""At most one run per workspace and plugin is in one of these states (a unique index)."""

TRANSITIONS: dict[SyncStatus, frozenset[SyncStatus]] = {
    SyncStatus.PENDING: frozenset(
        # A queued run that can never start (its plugin is gone) fails without running.
        {SyncStatus.RUNNING, SyncStatus.CANCELLED, SyncStatus.FAILED}
    ),
    SyncStatus.RUNNING: frozenset(
        # running → running: the run is resumed by another worker after its lease expired.
        {SyncStatus.RUNNING, SyncStatus.COMPLETED, SyncStatus.FAILED, SyncStatus.CANCELLED}
    ),
    SyncStatus.COMPLETED: frozenset(),
    SyncStatus.FAILED: frozenset(),
    SyncStatus.CANCELLED: frozenset(),
}


def can_move(current: str, target: SyncStatus) -> bool:
    return target in TRANSITIONS[SyncStatus(current)]


def move(current: str, target: SyncStatus) -> SyncStatus:
    """The target state, or ``IllegalTransition`` when a run in ``current`` cannot get there."""
    if not can_move(current, target):
        raise IllegalTransition(SyncStatus(current), target)
    return target
