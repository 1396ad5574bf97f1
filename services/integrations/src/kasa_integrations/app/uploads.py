"""Accepting an uploaded file for import: refused early, rationed, checked off the event loop.

The order is the defence. The cheap refusals come first (the plugin's configuration and a run
already active: one database read, see ``sync_requests.ensure_can_request``), then the
workspace's upload budget, and only then is the file read and parsed: in a worker thread, and
at most ``checks_at_once`` files at a time per process, so a large statement neither stalls the
event loop that serves every other request nor multiplies its parse memory by the number of
uploads in flight.
"""

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any
from uuid import UUID

from kasa_integrations.domain.errors import UploadRateExceeded, UploadTooLarge
from kasa_integrations.plugins.base import Plugin
from kasa_servicekit.rate_limits import RateLimiter

MAX_UPLOAD_MB = 20
MAX_UPLOAD_BYTES = MAX_UPLOAD_MB * 1024 * 1024

Read = Callable[[int], Awaitable[bytes]]
"""Reads up to the given number of bytes of the uploaded file."""


class UploadGate:
    """The per-process door of file imports: a budget per workspace and a bounded checker."""

    def __init__(
        self,
        rate_per_minute: int,
        checks_at_once: int,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.rate_per_minute = rate_per_minute
        self._budget = RateLimiter(rate_per_minute)
        self._checks = asyncio.Semaphore(checks_at_once)
        self._clock = clock

    def admit(self, workspace_id: UUID) -> None:
        """Count one upload of the workspace; ``UploadRateExceeded`` over its budget."""
        decision = self._budget.hit(str(workspace_id), self._clock())
        if not decision.allowed:
            raise UploadRateExceeded(self.rate_per_minute, decision.retry_after)

    async def accept(
        self, plugin: Plugin, workspace_id: UUID, read: Read
    ) -> tuple[bytes, dict[str, Any]]:
        """Admit, read and check one upload: the file and the facts its plugin found in it.

        Raises ``UploadRateExceeded``, ``UploadTooLarge`` or the plugin's
        ``UploadRejectedError``; nothing is stored here.
        """
        self.admit(workspace_id)
        await self._checks.acquire()
        try:
            content = await read(MAX_UPLOAD_BYTES + 1)
            if len(content) > MAX_UPLOAD_BYTES:
                raise UploadTooLarge(MAX_UPLOAD_MB)
            check = asyncio.ensure_future(asyncio.to_thread(plugin.check_upload, content))
        except BaseException:
            self._checks.release()
            raise
        # The turn ends when the parse does: a caller that gives up (a client gone) cannot
        # stop the thread, so it must not let another parse start beside it.
        check.add_done_callback(lambda _: self._checks.release())
        facts = await asyncio.shield(check)
        return content, facts
