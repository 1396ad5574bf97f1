"""Honouring a cancellation that Python 3.11's ``asyncio.wait_for`` lost."""

import asyncio


def stop_if_cancelled() -> None:
    """Raise ``CancelledError`` if the running task was asked to stop.

    On Python 3.11 ``asyncio.wait_for`` can swallow a cancellation that lands as the awaited
    call ends; the task's ``cancelling()`` count still records it. A loop that goes on after a
    ``wait_for`` calls this, so a plain ``cancel()`` still ends it.
    """
    if (task := asyncio.current_task()) is not None and task.cancelling():
        raise asyncio.CancelledError
