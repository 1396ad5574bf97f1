"""Free loopback ports for the processes a local stack or a test starts."""

import secrets
import socket

LOW, HIGH = 20_000, 24_999
"""Below the kernel's ephemeral range (32768 and up on Linux) and clear of the broker
cluster's fixed ports (25781 and up). A port from ``bind(0)`` comes from the ephemeral range,
where any outgoing connection may take it between the check and the service's own bind."""

_given: set[int] = set()


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on and this process has not handed out."""
    for _ in range(500):
        port = LOW + secrets.randbelow(HIGH - LOW + 1)
        if port in _given:
            continue
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
        _given.add(port)
        return port
    raise RuntimeError(f"no free port between {LOW} and {HIGH}")
