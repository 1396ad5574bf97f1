"""Audit's event adapters: every event of every service, onto the trail and into the archive."""
