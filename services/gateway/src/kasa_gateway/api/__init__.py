"""The gateway's HTTP adapters: its own routes (identity, the merged API description, the
WebSocket, readiness), the proxy to the services, and the one mapping of domain errors to
problems (``errors.py``)."""
