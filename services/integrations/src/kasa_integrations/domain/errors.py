"""What the integrations service refuses, as plain exceptions.

The HTTP adapter turns each into a problem document in one place (``api/errors.py``); the
messages here are the ``detail`` users read, so they say what to do next.
"""

from typing import Any
from uuid import UUID


class DomainError(Exception):
    """A request the rules refuse."""


class UploadRequired(DomainError):
    def __init__(self, plugin: str) -> None:
        super().__init__(f"{plugin} imports uploaded files: POST /api/v1/plugins/{plugin}/imports")


class NotAFileImport(DomainError):
    def __init__(self, plugin: str) -> None:
        super().__init__(f"{plugin} does not import files")


class UploadTooLarge(DomainError):
    def __init__(self, limit_mb: int) -> None:
        super().__init__(f"the file is larger than {limit_mb} MB")


class UploadRateExceeded(DomainError):
    """The workspace sent more file imports than its per-minute budget."""

    def __init__(self, limit_per_minute: int, retry_after: int) -> None:
        self.retry_after = retry_after
        super().__init__(
            f"this workspace may import {limit_per_minute} files a minute; "
            f"try again in {retry_after} s"
        )


class PluginNotConfigured(DomainError):
    def __init__(self, plugin: str) -> None:
        super().__init__(
            f"{plugin} is not configured for this workspace: "
            f"PUT /api/v1/plugins/{plugin}/config first"
        )


class PluginDisabled(DomainError):
    def __init__(self, plugin: str) -> None:
        super().__init__(f"{plugin} is disabled for this workspace")


class SyncAlreadyRunning(DomainError):
    """Another run of the plugin is active in the workspace (``sync_id`` when it is known)."""

    def __init__(self, plugin: str, sync_id: UUID | None = None) -> None:
        self.sync_id = sync_id
        if sync_id is None:
            super().__init__(f"a sync of {plugin} is already running")
        else:
            super().__init__(f"sync {sync_id} of {plugin} is still running")


class SyncNotFound(DomainError):
    """No such sync in the caller's workspace."""

    def __init__(self) -> None:
        super().__init__("sync does not exist")


class SyncFinished(DomainError):
    def __init__(self, status: str) -> None:
        self.status = status
        super().__init__(f"the sync is already {status}")


class ConfigurationInvalid(DomainError):
    """Settings or credentials that do not fit the plugin's models (no input values kept)."""

    def __init__(self, part: str, errors: list[dict[str, Any]]) -> None:
        self.part = part
        self.errors = errors
        super().__init__(f"the {part} do not fit the plugin")


class IllegalTransition(DomainError):
    """A run asked to move to a state its current state does not lead to: a bug, not a user
    error."""

    def __init__(self, current: str, target: str) -> None:
        super().__init__(f"a {current} sync cannot become {target}")
