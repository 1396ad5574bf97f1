"""Event adapters: one module per event the integrations service consumes."""
