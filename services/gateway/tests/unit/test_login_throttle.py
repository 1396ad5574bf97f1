"""Counting failed sign-ins: a window of failures, then a lockout that starts afresh."""

from datetime import UTC, datetime, timedelta

from kasa_gateway.domain.login_throttle import (
    LockoutPolicy,
    Throttle,
    after_failure,
    seconds_locked,
)

POLICY = LockoutPolicy(3, timedelta(minutes=15), timedelta(minutes=10))
T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def test_failures_within_the_window_lock_out_and_start_a_new_count():
    throttle = Throttle(0, T0)
    for minute in range(2):
        throttle, failure = after_failure(throttle, T0 + timedelta(minutes=minute), POLICY)
        assert failure.locked_until is None
    locked, failure = after_failure(throttle, T0 + timedelta(minutes=2), POLICY)
    assert failure.failures == 3
    assert failure.locked_until == locked.locked_until == T0 + timedelta(minutes=12)
    assert locked.failures == 0


def test_failures_older_than_the_window_are_forgotten():
    throttle = Throttle(2, T0)
    later, failure = after_failure(throttle, T0 + timedelta(minutes=16), POLICY)
    assert (failure.failures, failure.locked_until) == (1, None)
    assert later.window_started_at == T0 + timedelta(minutes=16)


def test_a_lockout_lasts_whole_seconds_then_ends():
    until = T0 + timedelta(seconds=90, milliseconds=1)
    assert seconds_locked(until, T0) == 91
    assert seconds_locked(until, until + timedelta(seconds=1)) == 0
    assert seconds_locked(None, T0) == 0
