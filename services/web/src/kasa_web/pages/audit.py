"""The audit trail: entries with their filters, an entry's before and after, the chain's status."""

from fastapi import APIRouter

router = APIRouter(include_in_schema=False)
