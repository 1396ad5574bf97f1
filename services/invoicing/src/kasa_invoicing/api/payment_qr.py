"""GET /api/v1/invoices/{id}/payment-qr: the QR code a banking app scans to pay the invoice."""

import io
from typing import Literal
from uuid import UUID

from fastapi import APIRouter, Response

from kasa_invoicing.app import documents
from kasa_invoicing.db.store import SqlStore
from kasa_invoicing.domain.payment_qr import PaymentQr
from kasa_servicekit.auth import CurrentPrincipal
from kasa_servicekit.service import Db

router = APIRouter(prefix="/api/v1/invoices", tags=["invoices"])


def qr_response(qr: PaymentQr, format: Literal["svg", "png"]) -> Response:
    buffer = io.BytesIO()
    if format == "png":
        qr.code.save(buffer, kind="png", scale=6, border=4)
        media = "image/png"
    else:
        qr.code.save(buffer, kind="svg", scale=6, border=4, xmldecl=False)
        media = "image/svg+xml"
    return Response(buffer.getvalue(), media_type=media, headers={"X-Payment-QR": qr.kind})


@router.get(
    "/{invoice_id}/payment-qr",
    responses={200: {"content": {"image/svg+xml": {}, "image/png": {}}}},
)
async def get_payment_qr(
    invoice_id: UUID,
    principal: CurrentPrincipal,
    db: Db,
    format: Literal["svg", "png"] = "svg",
) -> Response:
    """EPC (SEPA) for EUR, SPAYD for CZK; 422 for any other currency."""
    async with db.sessions() as session:
        qr = await documents.payment_qr(SqlStore(session, principal.workspace_id), invoice_id)
    return qr_response(qr, format)
