"""The person's profile (name, language, password; the address is in ``email_addresses``)
and their workspaces."""

from fastapi import APIRouter, Request
from starlette.responses import Response

from kasa_web.api_client import ApiProblem
from kasa_web.errors import redirect
from kasa_web.forms import Form, problem_text
from kasa_web.i18n import LANGUAGE_NAMES, LOCALES
from kasa_web.pages.common import ApiDep, page
from kasa_web.rendering import gettext as _
from kasa_web.rendering import render
from kasa_web.viewer import SignedIn, remember_language

router = APIRouter(include_in_schema=False)


def profile_page_with(
    request: Request,
    profile: Form | None = None,
    password: Form | None = None,
    email: Form | None = None,
    status: int = 200,
) -> Response:
    """The profile page, with the refused form (if any) showing its errors."""
    return render(
        request,
        "profile/index.html",
        {
            "profile": profile or Form(),
            "password": password or Form(),
            "email_form": email or Form(),
            "languages": [(code, LANGUAGE_NAMES[code]) for code in LOCALES],
        },
        status_code=status,
    )


@router.get("/profile")
async def profile_page(request: Request, _viewer: SignedIn) -> Response:
    return profile_page_with(request)


@router.post("/profile")
async def save_profile(request: Request, api: ApiDep, viewer: SignedIn) -> Response:
    form = Form.of(await request.form())
    locale = form.text("locale")
    body = {"name": form.get("name").strip(), "locale": locale if locale in LOCALES else None}
    try:
        await api.json("PATCH", "/api/v1/me", viewer.token, json=body)
    except ApiProblem as problem:
        return profile_page_with(request, profile=form.refused(problem), status=422)
    request.app.state.profiles.forget(viewer.principal.user_id)
    response = redirect(request, "/profile?done=1")
    remember_language(response, body["locale"])
    return response


@router.post("/profile/password")
async def change_password(request: Request, api: ApiDep, viewer: SignedIn) -> Response:
    data = await request.form()
    form = Form(values={k: "" for k in ("current_password", "new_password", "new_password_again")})
    current = str(data.get("current_password") or "")
    new = str(data.get("new_password") or "")
    if new != str(data.get("new_password_again") or ""):
        form.error("new_password_again", _("The passwords do not match."))
    if form.valid:
        try:
            await api.send(
                "POST",
                "/api/v1/me/password",
                viewer.token,
                json={"current_password": current, "new_password": new},
            )
        except ApiProblem as problem:
            if problem.status == 403:
                form.error("current_password", _("The current password is wrong."))
            elif problem.status == 422 and not problem.errors:
                form.error("new_password", str(problem.problem.get("detail", "")))
            elif problem.status == 422:
                form.refused(problem)
            else:
                form.error("", problem_text(problem))
        else:
            return redirect(request, "/profile?done=password")
    return profile_page_with(request, password=form, status=422)


@router.get("/workspaces")
async def workspaces_page(request: Request, api: ApiDep, viewer: SignedIn) -> Response:
    listed = await api.json("GET", "/api/v1/workspaces", viewer.token)
    return render(request, "profile/workspaces.html", {"workspaces": page(listed), "form": Form()})


@router.post("/workspaces/switch")
async def switch_workspace(request: Request, api: ApiDep, viewer: SignedIn) -> Response:
    form = Form.of(await request.form())
    await api.send(
        "PUT",
        "/api/v1/auth/session/workspace",
        viewer.token,
        json={"workspace_id": form.get("workspace_id")},
    )
    return redirect(request, "/")


@router.post("/workspaces")
async def create_workspace(request: Request, api: ApiDep, viewer: SignedIn) -> Response:
    form = Form.of(await request.form())
    try:
        created = await api.json(
            "POST", "/api/v1/workspaces", viewer.token, json={"name": form.get("name").strip()}
        )
    except ApiProblem as problem:
        listed = await api.json("GET", "/api/v1/workspaces", viewer.token)
        return render(
            request,
            "profile/workspaces.html",
            {"workspaces": page(listed), "form": form.refused(problem)},
            status_code=422,
        )
    await api.send(
        "PUT", "/api/v1/auth/session/workspace", viewer.token, json={"workspace_id": created["id"]}
    )
    return redirect(request, "/?welcome=1")
