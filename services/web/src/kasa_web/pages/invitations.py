"""Accepting an invitation to a workspace: the page the invitation mail links to.

The link carries its token after ``#``, so it never reaches a server log or a ``Referer``; the
page's script moves it into the form (and keeps it while the person signs in or signs up).
Without script, the person pastes it.
"""

from fastapi import APIRouter, Request
from starlette.responses import Response

from kasa_web.api_client import ApiProblem
from kasa_web.errors import redirect
from kasa_web.forms import Form
from kasa_web.pages.common import ApiDep
from kasa_web.rendering import gettext as _
from kasa_web.rendering import render
from kasa_web.viewer import MaybeSignedIn, SignedIn

router = APIRouter(include_in_schema=False)

PAGE = "/invitations/accept"


@router.get(PAGE)
async def accept_page(request: Request, viewer: MaybeSignedIn) -> Response:
    return render(request, "invitations/accept.html", {"form": Form(), "page": PAGE})


@router.post(PAGE)
async def accept(request: Request, api: ApiDep, viewer: SignedIn) -> Response:
    form = Form.of(await request.form())
    token = form.text("token")
    if not token:
        form.error("token", _("Open the link from the invitation mail, or paste its code."))
    if form.valid:
        try:
            joined = await api.json(
                "POST", "/api/v1/invitations/accept", viewer.token, json={"token": token}
            )
        except ApiProblem as problem:
            if problem.status not in (404, 422):
                raise
            form.error(
                "token",
                _(
                    "This invitation is not valid for %(email)s: it was used, withdrawn or "
                    "expired, or it was made out to another address.",
                    email=viewer.email,
                ),
            )
        else:
            await api.send(
                "PUT",
                "/api/v1/auth/session/workspace",
                viewer.token,
                json={"workspace_id": joined["workspace_id"]},
            )
            return redirect(request, "/?done=joined")
    return render(request, "invitations/accept.html", {"form": form, "page": PAGE}, status_code=400)
