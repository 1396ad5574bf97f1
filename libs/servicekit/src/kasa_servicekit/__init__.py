"""Shared runtime of every Kasa service. No domain code lives here."""
