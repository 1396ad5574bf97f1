"""The upload budget: a fixed number of hits per key and window."""

import pytest

from kasa_integrations.domain.rate_limit import FixedWindowLimit


def test_hits_over_the_budget_are_refused_until_the_window_ends():
    limit = FixedWindowLimit(2, window_s=60)
    assert limit.hit("w1", now=0).allowed
    assert limit.hit("w1", now=10).allowed
    refused = limit.hit("w1", now=20)
    assert not refused.allowed and refused.retry_after == 40
    assert limit.hit("w2", now=20).allowed, "each key has its own budget"
    assert limit.hit("w1", now=60).allowed, "a new window, a new budget"


def test_the_limiter_forgets_old_keys_instead_of_growing():
    limit = FixedWindowLimit(1, window_s=60, max_keys=10)
    for i in range(100):
        assert limit.hit(f"w{i}", now=float(i)).allowed
    assert len(limit._windows) <= 10


def test_a_budget_must_be_positive():
    with pytest.raises(ValueError):
        FixedWindowLimit(0)
