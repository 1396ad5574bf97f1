"""The supplier profile that goes on every invoice."""

from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import Response

from kasa_web.api_client import ApiProblem
from kasa_web.errors import redirect
from kasa_web.forms import Form
from kasa_web.pages.common import ApiDep
from kasa_web.rendering import gettext as _
from kasa_web.rendering import render
from kasa_web.viewer import SignedIn

router = APIRouter(include_in_schema=False)

TEXT_FIELDS = (
    "name",
    "address",
    "company_id",
    "vat_id",
    "iban",
    "bic",
    "default_currency",
    "number_format",
    "payment_terms_days",
    "logo_url",
)
CURRENCIES = ("CZK", "EUR", "USD", "GBP", "PLN")
DEFAULTS = {
    "default_currency": "CZK",
    "number_format": "{year}-{seq:04d}",
    "payment_terms_days": "14",
}


def field_messages() -> dict[str, str]:
    """What the API's checks of these fields mean, worded for a person."""
    return {
        "iban": _("This IBAN is not valid."),
        "bic": _("Enter a BIC of 8 or 11 letters and digits."),
        "number_format": _("Use {year}, {yy} and {seq}, for example {year}-{seq:04d}."),
        "logo_url": _("Enter an https:// address of the image, without a user name or password."),
    }


def refused(form: Form, problem: ApiProblem) -> Form:
    """The API's refusal next to each field, worded for these fields where the API's is not."""
    form.refused(problem)
    messages = field_messages()
    for name in list(form.errors):
        if name in messages:
            form.errors[name] = messages[name]
    return form


def form_of_profile(profile: dict[str, Any] | None) -> Form:
    values = {**DEFAULTS}
    for name in TEXT_FIELDS:
        value = (profile or {}).get(name)
        if value is not None:
            values[name] = str(value)
    if (profile or {}).get("vat_payer"):
        values["vat_payer"] = "on"
    return Form(values=values)


def profile_body(form: Form) -> dict[str, Any]:
    """The ``SupplierIn`` of the form: empty optional fields are sent as absent."""
    body: dict[str, Any] = {name: form.text(name) for name in TEXT_FIELDS}
    body["name"] = body["name"] or ""
    body["vat_payer"] = form.get("vat_payer") == "on"
    for name, default in DEFAULTS.items():
        body[name] = body[name] or default
    return body


@router.get("/supplier")
async def supplier_page(request: Request, api: ApiDep, viewer: SignedIn) -> Response:
    try:
        profile = await api.json("GET", "/api/v1/supplier", viewer.token)
    except ApiProblem as problem:
        if problem.status != 404:
            raise
        profile = None
    return render(
        request,
        "supplier/edit.html",
        {
            "section": "invoices",
            "form": form_of_profile(profile),
            "new": profile is None,
            "currencies": CURRENCIES,
            "flash_text": _("Supplier profile saved."),
        },
    )


@router.post("/supplier")
async def save_supplier(request: Request, api: ApiDep, viewer: SignedIn) -> Response:
    form = Form.of(await request.form())
    if not form.text("name"):
        form.error("name", _("Enter the name your invoices are issued under."))
    status = 422
    if form.valid:
        try:
            await api.json("PUT", "/api/v1/supplier", viewer.token, json=profile_body(form))
        except ApiProblem as problem:
            refused(form, problem)
            # Refused for the role: the form says so, with the API's status.
            status = 403 if problem.status == 403 else status
        else:
            return redirect(request, "/supplier?done=1")
    return render(
        request,
        "supplier/edit.html",
        {"section": "invoices", "form": form, "new": False, "currencies": CURRENCIES},
        status_code=status,
    )
