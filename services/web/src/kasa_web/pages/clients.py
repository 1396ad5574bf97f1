"""Clients and their projects, with hourly rates and currencies."""

from fastapi import APIRouter

router = APIRouter(include_in_schema=False)
