"""The plugin contract: a name, a version and a sync method that yields transactions.

A plugin is one class in one file. It declares what it needs (``Settings``, ``Credentials``,
``rate_limits``) and implements ``sync``; the platform validates and encrypts its configuration,
runs it, dedupes what it yields, records the history and publishes the events.
"""

import logging
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any, ClassVar

import httpx
from pydantic import BaseModel, ConfigDict, ValidationError

from kasa_contracts import Actor
from kasa_integrations.domain.bank_transaction import BankTransaction

__all__ = [
    "BankTransaction",
    "NoSettings",
    "Plugin",
    "RateLimit",
    "SyncContext",
    "SyncError",
    "SyncWindow",
    "UploadRejectedError",
    "plugin_actor",
]


class NoSettings(BaseModel):
    """The model of a plugin that needs nothing."""

    model_config = ConfigDict(extra="forbid")


@dataclass(frozen=True)
class RateLimit:
    """A limit the provider enforces, declared so operators and UIs can see it."""

    requests: int
    per_seconds: float
    scope: str = "credentials"
    """What the limit counts against: ``credentials`` (one token), ``workspace``, ``ip``."""


@dataclass(frozen=True)
class SyncWindow:
    """The booking dates a run asks for; ``start`` None means "from where the cursor is"."""

    start: date | None
    end: date


class SyncError(Exception):
    """A failure the plugin explains to the user; the message becomes ``error_message``.

    Raise it with a sentence a user can act on ("the token is invalid or inactive"). Never put
    a credential in it: the platform redacts known secrets, but a plugin should not rely on it.
    """


class UploadRejectedError(ValueError):
    """An uploaded file cannot be imported; the message tells the user why (answered as 422)."""


ProgressReporter = Callable[[int | None, str | None], None]


def _ignore_progress(total: int | None, message: str | None) -> None:
    return None


@dataclass
class SyncContext:
    """What a plugin gets for one run.

    ``state`` is the plugin's own persisted cursor for this workspace: change it as you yield,
    and the platform saves it together with every committed batch, so after a crash the next
    run resumes from what was really stored. ``metadata`` collects facts for the sync history
    (provider requests, rate-limit waits); it must hold no secrets.
    """

    settings: Any
    credentials: Any
    window: SyncWindow
    http: httpx.AsyncClient
    log: logging.LoggerAdapter[logging.Logger]
    state: dict[str, Any] = field(default_factory=dict)
    metadata: dict[str, Any] = field(default_factory=dict)
    params: dict[str, Any] = field(default_factory=dict)
    upload: bytes | None = None
    _progress: ProgressReporter = _ignore_progress

    def progress(self, total: int | None = None, message: str | None = None) -> None:
        """Tell the user how far the run is (counters are kept by the platform)."""
        self._progress(total, message)


class Plugin(ABC):
    """Base class of every bank integration.

    A plugin declares ``name``, ``version``, its ``Settings`` and ``Credentials`` models and
    its ``rate_limits``, and implements ``sync``, an async generator of ``BankTransaction``.
    It never writes to the database or the broker: the sync engine dedupes, stores and
    publishes what it yields. ``external_id`` must be the provider's stable id of the movement;
    the same id seen again is skipped, or published as an update when its content changed.
    """

    name: ClassVar[str]
    version: ClassVar[str]
    display_name: ClassVar[str]
    description: ClassVar[str] = ""
    Settings: ClassVar[type[BaseModel]] = NoSettings
    Credentials: ClassVar[type[BaseModel]] = NoSettings
    rate_limits: ClassVar[tuple[RateLimit, ...]] = ()
    accepts_upload: ClassVar[bool] = False
    """True for plugins that read an uploaded file instead of calling a provider."""

    @abstractmethod
    def sync(self, ctx: SyncContext) -> AsyncIterator[BankTransaction]:
        """Yield every transaction in the run's window, oldest first."""

    def check_upload(self, content: bytes) -> dict[str, Any]:
        """Validate an uploaded file before a run starts; raise ``UploadRejectedError``.

        Returns facts about the file for the sync history (no secrets, no content).
        """
        raise UploadRejectedError(f"{self.name} does not import files")

    @classmethod
    def needs_configuration(cls) -> bool:
        """Whether a workspace must configure the plugin before its first sync."""
        return not (_valid_empty(cls.Settings) and _valid_empty(cls.Credentials))

    @classmethod
    def secret_fields(cls) -> list[str]:
        return list(cls.Credentials.model_fields)


def plugin_actor(plugin: Plugin) -> Actor:
    """The actor of what a plugin's run does: events name the plugin, not a user."""
    return Actor(type="plugin", id=plugin.name, name=plugin.display_name)


def _valid_empty(model: type[BaseModel]) -> bool:
    try:
        model()
    except ValidationError:
        return False
    return True
