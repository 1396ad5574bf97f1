"""JSON logs that carry the service, correlation id and trace id of the work they describe."""

import logging
import sys
from collections.abc import Callable

from pythonjsonlogger.json import JsonFormatter

from kasa_servicekit.context import correlation_id_var
from kasa_servicekit.tracing import current_trace_id


class _ContextFilter(logging.Filter):
    def __init__(self, service: str) -> None:
        super().__init__()
        self.service = service

    def filter(self, record: logging.LogRecord) -> bool:
        record.service = self.service
        record.correlation_id = correlation_id_var.get()
        record.trace_id = current_trace_id()
        return True


def configure_logging(service: str, level: str = "INFO", fmt: str = "json") -> None:
    handler = logging.StreamHandler(sys.stdout)
    handler.addFilter(_ContextFilter(service))
    if fmt == "json":
        handler.setFormatter(
            JsonFormatter(
                "%(asctime)s %(levelname)s %(name)s %(message)s %(service)s "
                "%(correlation_id)s %(trace_id)s",
                rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
            )
        )
    else:
        handler.setFormatter(
            logging.Formatter("%(asctime)s %(levelname)s %(name)s [%(correlation_id)s] %(message)s")
        )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logging.getLogger(name).handlers[:] = []
        logging.getLogger(name).propagate = True
    # Per-request access lines come from our middleware, with correlation ids.
    logging.getLogger("uvicorn.access").setLevel("WARNING")
    logging.getLogger("aiormq").setLevel("WARNING")
    logging.getLogger("aio_pika").setLevel("WARNING")
    logging.getLogger("httpx").setLevel("WARNING")


class RedactingFilter(logging.Filter):
    """Rewrites each record with ``redact`` before any handler formats it: the message, its
    arguments and the traceback, which would otherwise bring a secret back when formatted."""

    def __init__(self, redact: Callable[[str], str]) -> None:
        super().__init__()
        self.redact = redact

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = self.redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        if record.exc_info and record.exc_info[1] is not None:
            record.exc_text = self.redact(logging.Formatter().formatException(record.exc_info))
            record.exc_info = None
        elif record.exc_text:
            record.exc_text = self.redact(record.exc_text)
        return True


def redact_logs(redact: Callable[[str], str]) -> None:
    """Pass every record of the process through ``redact``: a filter on each handler of the
    root logger, which every logger propagates to (``configure_logging``). Once per function."""
    for handler in logging.getLogger().handlers:
        if not any(isinstance(f, RedactingFilter) and f.redact is redact for f in handler.filters):
            handler.addFilter(RedactingFilter(redact))
