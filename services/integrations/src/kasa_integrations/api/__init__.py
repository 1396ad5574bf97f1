"""HTTP adapters of the integrations service: plugins, syncs, file imports."""
