"""Which address a request comes from, and the key the rate limits count it under. No I/O.

``X-Forwarded-For`` is anybody's to write, so it is believed only as far as the hops that
appended to it are trusted: read from the right, each entry was added by the hop to its right,
and the first address that is not a trusted proxy is the client. Without trusted proxies the
socket peer is the client, whatever the headers say.
"""

from collections.abc import Iterable, Sequence
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network, ip_address, ip_network

Network = IPv4Network | IPv6Network

# One person on IPv6 usually holds a whole /64: counting single addresses there would let
# them step around every limit.
IPV6_PREFIX = 64


def parse_networks(values: Iterable[str]) -> list[Network]:
    """``TRUSTED_PROXIES`` entries: addresses or CIDR networks; a bad one raises ValueError."""
    return [ip_network(value.strip(), strict=False) for value in values if value.strip()]


def _address(value: str) -> IPv4Address | IPv6Address | None:
    value = value.strip()
    if value.startswith("[") and "]" in value:  # "[2001:db8::1]:443"
        value = value[1 : value.index("]")]
    elif value.count(":") == 1:  # "192.0.2.1:443"
        value = value.split(":", 1)[0]
    try:
        found = ip_address(value)
    except ValueError:
        return None
    if isinstance(found, IPv6Address) and found.ipv4_mapped is not None:
        return found.ipv4_mapped
    return found


def _trusted(address: IPv4Address | IPv6Address, networks: Sequence[Network]) -> bool:
    return any(address.version == net.version and address in net for net in networks)


def resolve(peer: str, forwarded_for: Sequence[str], trusted: Sequence[Network]) -> str:
    """The client's address: ``peer`` unless it is a trusted proxy, then the right-most
    ``X-Forwarded-For`` entry that is not one.

    ``forwarded_for`` holds the header's values in the order received. An entry that is not an
    address ends the walk at the trusted hop that passed it on: nothing further left can be
    believed.
    """
    hop = _address(peer)
    if hop is None or not trusted or not _trusted(hop, trusted):
        return peer
    entries = [e for value in forwarded_for for e in value.split(",") if e.strip()]
    for entry in reversed(entries):
        found = _address(entry)
        if found is None:
            return str(hop)
        hop = found
        if not _trusted(hop, trusted):
            return str(hop)
    # Every hop was a proxy of ours: the left-most is as close to the client as we know.
    return str(hop)


def throttle_key(address: str) -> str:
    """What the limits count: an IPv4 address itself, an IPv6 address's /64 network."""
    found = _address(address)
    if isinstance(found, IPv6Address):
        return str(IPv6Network((found, IPV6_PREFIX), strict=False))
    return str(found) if found is not None else address
