"""The rate limits' rules: when a window ends, and how many hits an instance claims at once."""

from kasa_gateway.domain.rate_limits import decision, lease_size, reset_after


def test_a_window_says_when_it_ends_in_whole_seconds_never_zero():
    assert reset_after(1060, 1000.0) == 60
    assert reset_after(1060, 1059.2) == 1
    assert reset_after(1060, 1060.0) == 1


def test_what_is_left_of_a_budget():
    left = decision(5, 2, 1060, 1030.0)
    assert (left.allowed, left.remaining, left.reset_after) == (True, 3, 30)
    spent = decision(5, 7, 1060, 1030.0)
    assert (spent.allowed, spent.remaining) == (False, 0)


def test_claims_double_up_to_the_ceiling_and_a_tenth_of_the_budget():
    assert [lease_size(1200, claims, 32) for claims in range(7)] == [1, 2, 4, 8, 16, 32, 32]
    assert [lease_size(100, claims, 32) for claims in range(6)] == [1, 2, 4, 8, 10, 10]


def test_small_budgets_and_a_ceiling_of_one_are_counted_hit_by_hit():
    assert {lease_size(19, claims, 32) for claims in range(10)} == {1}
    assert {lease_size(1200, claims, 1) for claims in range(10)} == {1}
