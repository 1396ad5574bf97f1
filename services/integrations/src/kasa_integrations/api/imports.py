"""File imports: upload a bank statement and a sync reads it."""

import hashlib

from fastapi import APIRouter, Request, UploadFile, status

from kasa_integrations.api.syncs import SyncAccepted, run_options, start_run
from kasa_integrations.dependencies import Plugins, plugin_named
from kasa_integrations.plugins.base import UploadRejectedError
from kasa_integrations.sync_engine import SyncRun, request_sync
from kasa_servicekit.auth import WritingPrincipal
from kasa_servicekit.problems import ProblemError
from kasa_servicekit.service import Db

router = APIRouter(prefix="/api/v1", tags=["imports"])

MAX_UPLOAD_BYTES = 20 * 1024 * 1024


@router.post(
    "/plugins/{plugin_name}/imports",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=SyncAccepted,
)
async def import_file(
    plugin_name: str,
    file: UploadFile,
    principal: WritingPrincipal,
    db: Db,
    plugins: Plugins,
    request: Request,
) -> SyncAccepted:
    """Check the file at once (422 with the reason, nothing imported), then sync it."""
    plugin = plugin_named(plugins, plugin_name)
    if not plugin.accepts_upload:
        raise ProblemError(409, "Conflict", f"{plugin.name} does not import files")
    content = await file.read(MAX_UPLOAD_BYTES + 1)
    if len(content) > MAX_UPLOAD_BYTES:
        raise ProblemError(413, "Content Too Large", "the file is larger than 20 MB")
    try:
        facts = plugin.check_upload(content)
    except UploadRejectedError as exc:
        raise ProblemError(422, "Unprocessable Content", str(exc)) from None
    params = {
        "upload": {
            "filename": (file.filename or "")[:200],
            "size": len(content),
            "sha256": hashlib.sha256(content).hexdigest(),
            **facts,
        }
    }
    sync = await request_sync(
        db,
        plugin,
        principal.workspace_id,
        str(principal.user_id),
        params,
        upload=True,
        requester=principal.actor,
    )
    run = SyncRun(db, plugin, sync, request.app.state.vault, upload=content, **run_options(request))
    start_run(request, run)
    return SyncAccepted(id=sync.id, status=sync.status)
