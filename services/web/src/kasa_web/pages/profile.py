"""The person's profile and their workspaces."""

from fastapi import APIRouter

router = APIRouter(include_in_schema=False)
