"""Matching payments to invoices: the queue of suggestions, matching by hand, undoing a match."""

from fastapi import APIRouter

router = APIRouter(include_in_schema=False)
