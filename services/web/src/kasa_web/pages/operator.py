"""Operator pages for the instance operator: what ``kasa status`` and ``kasa dlq`` show."""

from fastapi import APIRouter

router = APIRouter(include_in_schema=False)
