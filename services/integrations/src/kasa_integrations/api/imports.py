"""File imports: upload a bank statement and a sync reads it."""

import hashlib

from fastapi import APIRouter, UploadFile, status

from kasa_integrations.api.dependencies import Begin, Plugins, Uploads, plugin_named
from kasa_integrations.api.sync_models import SyncAccepted
from kasa_integrations.app import sync_requests
from kasa_integrations.domain.errors import NotAFileImport
from kasa_servicekit.auth import MemberPrincipal
from kasa_servicekit.service import Events

router = APIRouter(prefix="/api/v1", tags=["imports"])


@router.post(
    "/plugins/{plugin_name}/imports",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=SyncAccepted,
    responses={429: {"description": "Too many imports from this workspace; see Retry-After"}},
)
async def import_file(
    plugin_name: str,
    file: UploadFile,
    principal: MemberPrincipal,
    begin: Begin,
    events: Events,
    plugins: Plugins,
    uploads: Uploads,
) -> SyncAccepted:
    """Check the file at once (422 with the reason, nothing imported), then sync it.

    A run already active is refused (409) before the file is read; each workspace may send a
    limited number of files a minute (429 with ``Retry-After``).
    """
    plugin = plugin_named(plugins, plugin_name)
    if not plugin.accepts_upload:
        raise NotAFileImport(plugin.name)
    async with begin() as uow:
        await sync_requests.ensure_can_request(uow, plugin, principal.workspace_id)
    content, facts = await uploads.accept(plugin, principal.workspace_id, file.read)
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
