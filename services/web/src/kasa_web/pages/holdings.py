"""Assets and liabilities: adding them, valuing them, closing them."""

from fastapi import APIRouter

router = APIRouter(include_in_schema=False)
