"""A rate limit: a fixed number of hits per key and window, in bounded memory."""

import pytest

from kasa_servicekit.rate_limits import Decision, RateLimiter


def test_hits_over_the_budget_are_refused_until_the_window_ends():
    limit = RateLimiter(2, window=60)
    first = limit.hit("w1", now=0)
    assert first.allowed and first.remaining == 1
    assert limit.hit("w1", now=10).allowed
    refused = limit.hit("w1", now=20)
    assert not refused.allowed and refused.remaining == 0
    assert refused.retry_after == 40, "until the window that began at 0 ends"
    assert limit.hit("w2", now=20).allowed, "each key has its own budget"
    assert limit.hit("w1", now=60).allowed, "a new window, a new budget"


def test_the_limiter_forgets_old_keys_instead_of_growing():
    limit = RateLimiter(1, window=60, max_keys=10)
    for i in range(100):
        assert limit.hit(f"w{i}", now=float(i)).allowed
    assert len(limit) <= 10


def test_a_full_limiter_of_live_windows_still_takes_new_keys():
    limit = RateLimiter(1, window=3600, max_keys=10)
    for i in range(30):
        assert limit.hit(f"w{i}", now=float(i)).allowed
    assert len(limit) <= 10


def test_a_budget_must_be_positive():
    with pytest.raises(ValueError):
        RateLimiter(0)


def test_peeking_tells_where_a_key_stands_without_counting() -> None:
    limiter = RateLimiter(3, window=60)
    assert limiter.peek("u", now=0.0) == Decision(True, 3, 3, 60)
    limiter.hit("u", now=0.0)
    limiter.hit("u", now=1.0)
    assert limiter.peek("u", now=10.0) == Decision(True, 3, 1, 50)
    assert limiter.peek("u", now=10.0).remaining == 1, "a peek is not a hit"
    limiter.hit("u", now=11.0)
    assert limiter.peek("u", now=12.0) == Decision(False, 3, 0, 48)
    assert limiter.peek("u", now=61.0) == Decision(True, 3, 3, 60), "a new window"
    assert limiter.peek("nobody", now=61.0).remaining == 3
    assert len(limiter) == 1, "peeking at a key does not start counting it"
