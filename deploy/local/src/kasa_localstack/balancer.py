"""A loopback TCP balancer over several backends, as a Kubernetes Service is for its pods.

Test scaffolding, not part of the product: the services take one address for the broker and
one per upstream service, so a test that runs several broker nodes or several replicas of a
service puts one of these in front of them. Each new connection goes to the next backend in
turn; a backend that refuses the connection (stopped, killed, not started yet) is skipped for
the next one, so clients only see a refusal when every backend refuses.
"""

import asyncio
import contextlib

from kasa_localstack.testing import TcpProxy

CONNECT_TIMEOUT_S = 3.0


class Balancer(TcpProxy):
    """Round-robin TCP proxy on ``127.0.0.1:port`` over ``backends`` (host, port) pairs."""

    def __init__(self, backends: list[tuple[str, int]], port: int | None = None) -> None:
        if not backends:
            raise ValueError("a balancer needs at least one backend")
        super().__init__(*backends[0])
        if port is not None:
            self.port = port
        self.backends = list(backends)
        self._next = 0
        self.connections: dict[tuple[str, int], int] = {b: 0 for b in self.backends}
        """How many connections each backend was given: which ones took part."""

    @property
    def url(self) -> str:
        """``http://127.0.0.1:<port>``: where HTTP clients reach the backends."""
        return f"http://127.0.0.1:{self.port}"

    async def _upstream(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter] | None:
        start = self._next
        self._next = (self._next + 1) % len(self.backends)
        for i in range(len(self.backends)):
            backend = self.backends[(start + i) % len(self.backends)]
            try:
                link = await asyncio.wait_for(
                    asyncio.open_connection(*backend), timeout=CONNECT_TIMEOUT_S
                )
            except (OSError, TimeoutError):
                continue
            self.connections[backend] += 1
            return link
        return None

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        upstream = await self._upstream()
        if upstream is None:
            writer.close()
            return
        up_reader, up_writer = upstream
        self._writers |= {writer, up_writer}

        async def pipe(src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
            with contextlib.suppress(Exception):
                while data := await src.read(65536):
                    dst.write(data)
                    await dst.drain()
            # Either side ending ends both: a backend that died must not leave its client
            # waiting on a half-open connection.
            dst.close()

        try:
            await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))
        finally:
            self._writers -= {writer, up_writer}
