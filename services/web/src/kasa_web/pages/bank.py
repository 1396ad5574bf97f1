"""Bank plugins: enabling, configuring, uploading statements, syncing, sync history."""

from fastapi import APIRouter

router = APIRouter(include_in_schema=False)
