"""Bank and cash accounts with their balances."""

from fastapi import APIRouter

router = APIRouter(include_in_schema=False)
