"""Runs the whole Kasa system on one machine, for development, demos and the e2e tests."""
