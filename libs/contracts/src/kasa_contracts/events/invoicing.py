"""Events published by the invoicing service."""

from kasa_contracts.spec import EventSpec

SPECS: list[EventSpec] = []
