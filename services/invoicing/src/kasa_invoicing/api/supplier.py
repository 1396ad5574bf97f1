"""GET/PUT /api/v1/supplier: who the workspace's invoices come from, and how they are numbered."""

from typing import Annotated

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field, field_validator

from kasa_contracts.types import CurrencyCode
from kasa_invoicing.api.bodies import values
from kasa_invoicing.app import supplier
from kasa_invoicing.db.supplier import SupplierRows
from kasa_invoicing.domain.bank import bic_is_valid, iban_is_valid, normalize_iban
from kasa_invoicing.domain.logo import MAX_LENGTH as LOGO_MAX_LENGTH
from kasa_invoicing.domain.logo import check_logo_url, is_safe_logo_url
from kasa_invoicing.domain.numbering import DEFAULT_FORMAT, check_format
from kasa_servicekit.auth import AdminPrincipal, CurrentPrincipal
from kasa_servicekit.service import Db, Events

router = APIRouter(prefix="/api/v1/supplier", tags=["supplier"])


class SupplierIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Annotated[str, Field(min_length=1, max_length=200)]
    address: Annotated[str | None, Field(max_length=1000)] = None
    company_id: Annotated[str | None, Field(max_length=32, description="IČO")] = None
    vat_id: Annotated[str | None, Field(max_length=32, description="DIČ / VAT number")] = None
    iban: Annotated[str | None, Field(max_length=42)] = None
    bic: str | None = None
    default_currency: CurrencyCode = "CZK"
    number_format: Annotated[
        str, Field(max_length=64, description="Fields: {year}, {yy}, {seq} (e.g. {seq:04d})")
    ] = DEFAULT_FORMAT
    payment_terms_days: Annotated[int, Field(ge=0, le=365)] = 14
    vat_payer: bool = False
    logo_url: Annotated[
        str | None,
        Field(
            max_length=LOGO_MAX_LENGTH,
            description="An https:// address of the logo image, without user name or password; "
            "Kasa never fetches it",
        ),
    ] = None

    @field_validator("iban")
    @classmethod
    def _iban(cls, value: str | None) -> str | None:
        if value is None:
            return None
        if not iban_is_valid(value):
            raise ValueError("not a valid IBAN (the mod-97 check failed)")
        return normalize_iban(value)

    @field_validator("bic")
    @classmethod
    def _bic(cls, value: str | None) -> str | None:
        if value is None:
            return None
        if not bic_is_valid(value):
            raise ValueError("not a valid BIC (8 or 11 letters and digits)")
        return value.strip().upper()

    @field_validator("number_format")
    @classmethod
    def _format(cls, value: str) -> str:
        check_format(value)
        return value

    @field_validator("logo_url")
    @classmethod
    def _logo(cls, value: str | None) -> str | None:
        return None if value is None else check_logo_url(value)


class SupplierOut(SupplierIn):
    model_config = ConfigDict(from_attributes=True)

    @field_validator("logo_url")
    @classmethod
    def _logo(cls, value: str | None) -> str | None:
        # An address stored before the checks is not shown; the row itself is left as it is.
        return value if is_safe_logo_url(value) else None


@router.get("", response_model=SupplierOut)
async def get_supplier(principal: CurrentPrincipal, db: Db) -> SupplierOut:
    async with db.sessions() as session:
        row = await supplier.get(SupplierRows(session, principal.workspace_id))
    return SupplierOut.model_validate(row)


@router.put("", response_model=SupplierOut)
async def put_supplier(
    body: SupplierIn, principal: AdminPrincipal, db: Db, events: Events
) -> SupplierOut:
    async with db.transaction() as session:
        store = SupplierRows(session, principal.workspace_id)
        row = await supplier.put(store, events, principal, values(body))
        return SupplierOut.model_validate(row)
