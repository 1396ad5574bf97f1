"""Sign up, sign in and sign out: forms over the gateway's cookie-session API."""

from fastapi import APIRouter, Request
from starlette.responses import Response

from kasa_web.api_client import ApiProblem
from kasa_web.errors import redirect
from kasa_web.forms import Form, problem_text
from kasa_web.pages.common import ApiDep, safe_next
from kasa_web.rendering import gettext as _
from kasa_web.rendering import render
from kasa_web.viewer import MaybeSignedIn, SignedIn

router = APIRouter(include_in_schema=False)

CLIENT_ADDRESS = "x-kasa-client-address"
"""The person's address as the gateway vouches for it; handed back unchanged on the sign-in
and registration calls made for them, so the gateway counts attempts per person, not for the
web application as a whole."""


def _with_session_cookies(response: Response, api_answer_cookies: list[str]) -> Response:
    for cookie in api_answer_cookies:
        response.headers.append("set-cookie", cookie)
    return response


def _refusal(problem: ApiProblem) -> str:
    if problem.status == 401:
        # The same words whether or not the account exists.
        return _("Wrong email or password.")
    if problem.status == 429:
        seconds = problem.retry_after
        # Whole minutes only from two on: "1 minutes" would be wrong, "60 seconds" is not.
        if seconds and seconds > 90:
            minutes = (seconds + 59) // 60
            return _(
                "Too many sign-in attempts. Try again in %(minutes)s minutes.", minutes=minutes
            )
        if seconds:
            return _(
                "Too many sign-in attempts. Try again in %(seconds)s seconds.", seconds=seconds
            )
    return problem_text(problem)


def _on_behalf(request: Request) -> dict[str, str]:
    """Who the sign-in or registration is for: the person's vouched address and browser."""
    wanted = (CLIENT_ADDRESS, "user-agent")
    return {name: request.headers[name] for name in wanted if request.headers.get(name)}


async def _open_session(api: ApiDep, request: Request, email: str, password: str) -> list[str]:
    answer = await api.send(
        "POST",
        "/api/v1/auth/session",
        None,
        json={"email": email, "password": password},
        headers=_on_behalf(request),
    )
    return answer.headers.get_list("set-cookie")


@router.get("/sign-in")
async def sign_in_page(
    request: Request, viewer: MaybeSignedIn, next: str | None = None
) -> Response:
    if viewer:
        return redirect(request, safe_next(next))
    context = {"form": Form(), "next": safe_next(next), "reset": request.query_params.get("reset")}
    return render(request, "auth/sign_in.html", context)


@router.post("/sign-in")
async def sign_in(request: Request, api: ApiDep, _viewer: MaybeSignedIn) -> Response:
    data = await request.form()
    form = Form.of(data)
    target = safe_next(form.text("next"))
    email, password = form.get("email").strip(), str(data.get("password") or "")
    if not email:
        form.error("email", _("Enter your email."))
    if not password:
        form.error("password", _("Enter your password."))
    if form.valid:
        try:
            cookies = await _open_session(api, request, email, password)
        except ApiProblem as problem:
            form.error("", _refusal(problem))
        else:
            return _with_session_cookies(redirect(request, target), cookies)
    return render(request, "auth/sign_in.html", {"form": form, "next": target}, status_code=400)


@router.get("/sign-up")
async def sign_up_page(
    request: Request, viewer: MaybeSignedIn, next: str | None = None
) -> Response:
    if viewer:
        return redirect(request, safe_next(next))
    return render(request, "auth/sign_up.html", {"form": Form(), "next": safe_next(next, "")})


@router.post("/sign-up")
async def sign_up(request: Request, api: ApiDep, _viewer: MaybeSignedIn) -> Response:
    data = await request.form()
    form = Form.of(data)
    password = str(data.get("password") or "")
    body = {
        "name": form.get("name").strip(),
        "email": form.get("email").strip(),
        "password": password,
        "workspace_name": form.get("workspace_name").strip() or form.get("name").strip(),
    }
    if password != str(data.get("password_again") or ""):
        form.error("password_again", _("The passwords do not match."))
    if form.valid:
        try:
            await api.send(
                "POST", "/api/v1/auth/register", None, json=body, headers=_on_behalf(request)
            )
            cookies = await _open_session(api, request, body["email"], password)
        except ApiProblem as problem:
            if problem.status == 409:
                form.error("email", _("This email cannot be used for a new account."))
            else:
                form.refused(problem)
        else:
            target = safe_next(form.text("next"), "/?welcome=1")
            return _with_session_cookies(redirect(request, target), cookies)
    context = {"form": form, "next": safe_next(form.text("next"), "")}
    return render(request, "auth/sign_up.html", context, status_code=400)


@router.post("/sign-out")
async def sign_out(request: Request, api: ApiDep, viewer: SignedIn) -> Response:
    answer = await api.send("DELETE", "/api/v1/auth/session", viewer.token)
    return _with_session_cookies(
        redirect(request, "/sign-in"), answer.headers.get_list("set-cookie")
    )


@router.get("/forgot-password")
async def forgot_password_page(request: Request, viewer: MaybeSignedIn) -> Response:
    return render(request, "auth/forgot_password.html", {"form": Form(), "sent": False})


@router.post("/forgot-password")
async def forgot_password(request: Request, api: ApiDep, _viewer: MaybeSignedIn) -> Response:
    form = Form.of(await request.form())
    email = form.get("email").strip()
    if not email:
        form.error("email", _("Enter your email."))
    if form.valid:
        try:
            await api.send(
                "POST",
                "/api/v1/auth/password-reset",
                None,
                json={"email": email},
                headers=_on_behalf(request),
            )
        except ApiProblem as problem:
            if problem.status == 429:
                form.error("", _("Too many requests. Try again later."))
            else:
                form.refused(problem)
        else:
            # The same page whether or not the account exists.
            return render(request, "auth/forgot_password.html", {"form": form, "sent": True})
    return render(
        request, "auth/forgot_password.html", {"form": form, "sent": False}, status_code=400
    )


@router.get("/reset-password")
async def reset_password_page(
    request: Request, _viewer: MaybeSignedIn, token: str = ""
) -> Response:
    return render(request, "auth/reset_password.html", {"form": Form(values={"token": token})})


@router.post("/reset-password")
async def reset_password(request: Request, api: ApiDep, _viewer: MaybeSignedIn) -> Response:
    data = await request.form()
    form = Form.of(data)
    password = str(data.get("password") or "")
    if not form.text("token"):
        form.error("", _("This reset link is not valid any more. Ask for a new one."))
    if not password:
        form.error("password", _("Enter your new password."))
    elif password != str(data.get("password_again") or ""):
        form.error("password_again", _("The passwords do not match."))
    if form.valid:
        try:
            await api.send(
                "POST",
                "/api/v1/auth/password-reset/confirm",
                None,
                json={"token": form.text("token"), "password": password},
                headers=_on_behalf(request),
            )
        except ApiProblem as problem:
            if problem.status == 400:
                form.error("", _("This reset link is not valid any more. Ask for a new one."))
            else:
                form.refused(problem)
        else:
            return redirect(request, "/sign-in?reset=1")
    return render(request, "auth/reset_password.html", {"form": form}, status_code=400)
