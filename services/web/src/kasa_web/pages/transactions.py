"""Transactions: the list with its filters, a transaction's detail, manual entries, corrections
and categories."""

from fastapi import APIRouter

router = APIRouter(include_in_schema=False)
