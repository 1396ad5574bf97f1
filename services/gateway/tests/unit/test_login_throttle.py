"""Counting failed sign-ins per account and address: some free, then a wait that doubles up to
a ceiling, and a pair quiet for long enough starts afresh."""

from datetime import UTC, datetime, timedelta

from kasa_gateway.domain.login_throttle import (
    Throttle,
    ThrottlePolicy,
    after_failure,
    delay_after,
    seconds_to_wait,
)

POLICY = ThrottlePolicy(
    failures_before_delay=3,
    first_delay=timedelta(seconds=60),
    max_delay=timedelta(minutes=15),
    forget_after=timedelta(minutes=60),
)
T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def test_the_first_failures_are_free_then_the_wait_doubles_up_to_the_ceiling():
    waits = [delay_after(n, POLICY).total_seconds() for n in range(1, 10)]
    assert waits == [0, 0, 60, 120, 240, 480, 900, 900, 900]
    assert delay_after(10**6, POLICY) == POLICY.max_delay, "no overflow for a long count"


def test_each_failure_counts_and_the_one_that_uses_the_free_ones_sets_a_wait():
    throttle = None
    for minute in range(2):
        throttle, failure = after_failure(throttle, T0 + timedelta(minutes=minute), POLICY)
        assert failure.blocked_until is None
    waiting, failure = after_failure(throttle, T0 + timedelta(minutes=2), POLICY)
    assert failure.failures == waiting.failures == 3
    assert failure.blocked_until == waiting.blocked_until == T0 + timedelta(minutes=3)
    _, failure = after_failure(waiting, T0 + timedelta(minutes=4), POLICY)
    assert failure.blocked_until == T0 + timedelta(minutes=6), "the next wait is longer"


def test_failures_of_a_quiet_pair_are_forgotten():
    throttle = Throttle(7, T0, T0 + timedelta(minutes=15))
    later, failure = after_failure(throttle, T0 + timedelta(minutes=61), POLICY)
    assert (failure.failures, failure.blocked_until) == (1, None)
    assert later.last_failure_at == T0 + timedelta(minutes=61)


def test_a_wait_lasts_whole_seconds_then_ends():
    until = T0 + timedelta(seconds=90, milliseconds=1)
    assert seconds_to_wait(until, T0) == 91
    assert seconds_to_wait(until, until + timedelta(seconds=1)) == 0
    assert seconds_to_wait(None, T0) == 0
