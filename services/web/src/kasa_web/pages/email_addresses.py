"""Proving one's address from the mailed link, asking for a new link, changing the address."""

from fastapi import APIRouter, Request
from starlette.responses import Response

from kasa_web.api_client import ApiProblem
from kasa_web.errors import redirect
from kasa_web.forms import Form, problem_text
from kasa_web.pages.common import ApiDep
from kasa_web.pages.profile import profile_page_with
from kasa_web.rendering import gettext as _
from kasa_web.rendering import render
from kasa_web.viewer import MaybeSignedIn, SignedIn

router = APIRouter(include_in_schema=False)


@router.get("/verify-email")
async def verify_page(request: Request, _viewer: MaybeSignedIn, token: str = "") -> Response:
    # A button, not the link itself, proves the address: mail scanners open links unasked.
    return render(request, "email/verify.html", {"form": Form(values={"token": token})})


@router.post("/verify-email")
async def verify(request: Request, api: ApiDep, viewer: MaybeSignedIn) -> Response:
    form = Form.of(await request.form())
    try:
        verified = await api.json(
            "POST", "/api/v1/auth/verify-email", None, json={"token": form.text("token")}
        )
    except ApiProblem as problem:
        if problem.status == 400:
            form.error("", _("This link is not valid any more. Ask for a new one on your profile."))
        else:
            form.error("", problem_text(problem))
        return render(request, "email/verify.html", {"form": form}, status_code=400)
    if viewer is not None:
        request.app.state.profiles.forget(viewer.principal.user_id)
    return render(request, "email/verified.html", {"verified": verified})


@router.post("/profile/verification")
async def send_new_link(request: Request, api: ApiDep, viewer: SignedIn) -> Response:
    try:
        await api.send("POST", "/api/v1/me/email-verification", viewer.token)
    except ApiProblem as problem:
        if problem.status == 409:
            return redirect(request, "/profile")
        failed = Form()
        failed.error("", problem_text(problem))
        return profile_page_with(request, email=failed, status=problem.status)
    return redirect(request, "/profile?done=verification")


@router.post("/profile/email")
async def change_email(request: Request, api: ApiDep, viewer: SignedIn) -> Response:
    data = await request.form()
    # Named apart from the profile's own fields, which share the page.
    form = Form(values={"new_email": str(data.get("new_email") or "").strip()})
    password = str(data.get("email_password") or "")
    if not form.text("new_email"):
        form.error("new_email", _("Enter the new address."))
    if not password:
        form.error("email_password", _("Enter your current password."))
    if form.valid:
        try:
            await api.send(
                "POST",
                "/api/v1/me/email",
                viewer.token,
                json={"email": form.text("new_email"), "password": password},
            )
        except ApiProblem as problem:
            if problem.status == 403:
                form.error("email_password", _("The current password is wrong."))
            elif problem.status == 409:
                form.error("new_email", _("This address is taken, or is yours already."))
            elif problem.status == 422:
                form.error("new_email", _("Enter a valid email address."))
            else:
                form.error("", problem_text(problem))
        else:
            request.app.state.profiles.forget(viewer.principal.user_id)
            return redirect(request, "/profile?done=email")
    return profile_page_with(request, email=form, status=422)
