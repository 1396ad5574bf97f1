"""Audit's use cases: appending events to the trail, verifying chains, reading the trail for
the list and the export, and anchoring chain heads outside the database."""
