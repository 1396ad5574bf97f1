"""The supplier profile that goes on every invoice."""

from fastapi import APIRouter

router = APIRouter(include_in_schema=False)
