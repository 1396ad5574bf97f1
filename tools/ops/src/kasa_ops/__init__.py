"""The ``kasa`` command: what operators need to see and fix after an incident."""
