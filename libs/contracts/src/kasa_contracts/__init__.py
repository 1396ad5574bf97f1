"""The wire between Kasa services: one envelope, versioned payloads, one catalog."""

from kasa_contracts.catalog import CATALOG, EventSpec, parse_envelope, spec_for
from kasa_contracts.envelope import Actor, Envelope, EventPayload, RawEnvelope

__all__ = [
    "CATALOG",
    "Actor",
    "Envelope",
    "EventPayload",
    "EventSpec",
    "RawEnvelope",
    "parse_envelope",
    "spec_for",
]
