"""The integrations service's use cases: configure plugins, request and run syncs."""
