"""Reports: cash flow and net worth over time, as SVG charts and as CSV."""

from fastapi import APIRouter

router = APIRouter(include_in_schema=False)
