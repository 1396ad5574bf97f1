"""The gateway's use cases, one module per family: accounts and API sessions, browser
sessions, the caller's profile, workspaces and their members, invitations. They work through
the identity store, write events with the service's ``EventWriter``, and refuse with the
errors of ``domain/errors.py``; none of them knows about HTTP."""
