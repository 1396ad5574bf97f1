"""File imports: upload a bank statement and a sync reads it."""

import hashlib

from fastapi import APIRouter, UploadFile, status

from kasa_integrations.api.dependencies import Begin, Plugins, plugin_named
from kasa_integrations.api.sync_models import SyncAccepted
from kasa_integrations.app import sync_requests
from kasa_integrations.domain.errors import NotAFileImport, UploadTooLarge
from kasa_servicekit.auth import WritingPrincipal
from kasa_servicekit.service import Events

router = APIRouter(prefix="/api/v1", tags=["imports"])

MAX_UPLOAD_MB = 20
MAX_UPLOAD_BYTES = MAX_UPLOAD_MB * 1024 * 1024


@router.post(
    "/plugins/{plugin_name}/imports",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=SyncAccepted,
)
async def import_file(
    plugin_name: str,
    file: UploadFile,
    principal: WritingPrincipal,
    begin: Begin,
    events: Events,
    plugins: Plugins,
) -> SyncAccepted:
    """Check the file at once (422 with the reason, nothing imported), then sync it."""
    plugin = plugin_named(plugins, plugin_name)
    if not plugin.accepts_upload:
        raise NotAFileImport(plugin.name)
    content = await file.read(MAX_UPLOAD_BYTES + 1)
    if len(content) > MAX_UPLOAD_BYTES:
        raise UploadTooLarge(MAX_UPLOAD_MB)
    facts = plugin.check_upload(content)
    params = {
        "upload": {
            "filename": (file.filename or "")[:200],
            "size": len(content),
            "sha256": hashlib.sha256(content).hexdigest(),
            **facts,
        }
    }
    async with begin() as uow:
        sync = await sync_requests.request_sync(
            uow, events, plugin, principal, params, upload=content
        )
    return SyncAccepted(id=sync.id, status=sync.status)
