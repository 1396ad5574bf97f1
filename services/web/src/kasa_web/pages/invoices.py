"""Invoices: the list, drafting from unbilled work, the detail, PDF, QR, portal links."""

from fastapi import APIRouter

router = APIRouter(include_in_schema=False)
