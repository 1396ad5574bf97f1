"""Time: the running timer, the week of work entries, adding and editing entries."""

from fastapi import APIRouter

router = APIRouter(include_in_schema=False)
