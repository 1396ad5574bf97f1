"""Events about one sync correlate with the sync, whichever request or worker writes them."""

from collections.abc import Iterator
from contextlib import contextmanager
from uuid import UUID

from kasa_servicekit.context import causation_id_var, correlation_id_var


@contextmanager
def about_sync(
    sync_id: UUID, cause: UUID | None = None, *, keep_cause: bool = False
) -> Iterator[None]:
    """Events written inside carry the sync's id as correlation id (and ``cause``, unless
    ``keep_cause`` leaves the current causation as it is)."""
    correlation = correlation_id_var.set(str(sync_id))
    causation = None if keep_cause else causation_id_var.set(cause)
    try:
        yield
    finally:
        if causation is not None:
            causation_id_var.reset(causation)
        correlation_id_var.reset(correlation)
