"""Loans with their payment schedule and the payments booked against them."""

from fastapi import APIRouter

router = APIRouter(include_in_schema=False)
