"""The client's address: the socket peer unless it is a trusted proxy; then X-Forwarded-For
read from the right, past our own proxies only."""

import pytest

from kasa_gateway.domain.client_address import parse_networks, resolve, throttle_key
from kasa_gateway.tokens.client_address import ClientAddresses

PROXIES = parse_networks(["10.0.0.0/8", "fd00::/8"])


def test_without_trusted_proxies_the_peer_is_the_client_whatever_the_header_says():
    assert resolve("198.51.100.7", ["203.0.113.9"], []) == "198.51.100.7"
    assert resolve("198.51.100.7", ["203.0.113.9"], PROXIES) == "198.51.100.7", "not a proxy"


def test_behind_trusted_proxies_the_right_most_untrusted_entry_is_the_client():
    # The client forged the first entry; our proxies appended the real one and each other.
    chain = ["1.2.3.4, 203.0.113.9", "10.1.1.1"]
    assert resolve("10.0.0.2", chain, PROXIES) == "203.0.113.9"
    assert resolve("10.0.0.2", [], PROXIES) == "10.0.0.2", "no header: the proxy itself"
    assert resolve("10.0.0.2", ["10.0.0.3"], PROXIES) == "10.0.0.3", "only proxies"


def test_garbage_in_the_header_stops_the_walk_at_the_hop_that_passed_it_on():
    assert resolve("10.0.0.2", ["203.0.113.9, not-an-ip"], PROXIES) == "10.0.0.2"
    assert resolve("10.0.0.2", ["[2001:db8::1]:443"], PROXIES) == "2001:db8::1"
    assert resolve("10.0.0.2", ["203.0.113.9:5000"], PROXIES) == "203.0.113.9"


def test_ipv6_clients_are_counted_by_their_64_network():
    assert throttle_key("2001:db8:1:2:aaaa::1") == throttle_key("2001:db8:1:2:bbbb::2")
    assert throttle_key("2001:db8:1:2::1") == "2001:db8:1:2::/64"
    assert throttle_key("::ffff:192.0.2.1") == "192.0.2.1"
    assert throttle_key("testclient") == "testclient"


def test_a_bad_trusted_proxy_setting_is_refused():
    with pytest.raises(ValueError):
        parse_networks(["10.0.0.0/33"])


def test_a_vouched_address_holds_only_as_minted_and_only_for_a_minute(keys):
    addresses = ClientAddresses(keys)
    header = addresses.vouch("203.0.113.9", now=1000)
    assert addresses.vouched(header, now=1030) == "203.0.113.9"
    assert addresses.vouched(header, now=1061) is None, "expired"
    forged = header.replace("203.0.113.9", "203.0.113.10")
    assert addresses.vouched(forged, now=1030) is None
    assert addresses.vouched("203.0.113.9 99999999999 00", now=1030) is None
    assert addresses.vouched(None) is None
