"""A run's states: the strings the API shows, and which moves the rules allow."""

import pytest

from kasa_integrations.domain.errors import IllegalTransition
from kasa_integrations.domain.sync_status import ACTIVE, SyncStatus, can_move, move


def test_the_states_are_the_strings_the_api_has_always_shown():
    assert [s.value for s in SyncStatus] == [
        "pending",
        "running",
        "completed",
        "failed",
        "cancelled",
    ]
    assert ACTIVE == ("pending", "running")


@pytest.mark.parametrize(
    ("current", "target"),
    [
        ("pending", SyncStatus.RUNNING),  # a worker claims it
        ("pending", SyncStatus.CANCELLED),  # cancelled before any worker took it
        ("running", SyncStatus.RUNNING),  # another worker resumes it after a crash
        ("running", SyncStatus.COMPLETED),
        ("running", SyncStatus.FAILED),
        ("running", SyncStatus.CANCELLED),
    ],
)
def test_a_run_moves_forward(current, target):
    assert move(current, target) is target


@pytest.mark.parametrize("final", ["completed", "failed", "cancelled"])
@pytest.mark.parametrize("target", list(SyncStatus))
def test_a_finished_run_never_moves_again(final, target):
    assert not SyncStatus(final).active
    assert not can_move(final, target)
    with pytest.raises(IllegalTransition, match=f"a {final} sync cannot become {target}"):
        move(final, target)


def test_a_queued_run_cannot_complete_without_running():
    assert not can_move("pending", SyncStatus.COMPLETED)
