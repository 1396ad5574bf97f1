"""Workspace administration for owners and admins: members, invitations, sessions, plugins
and rate limits."""

from fastapi import APIRouter

router = APIRouter(include_in_schema=False)
