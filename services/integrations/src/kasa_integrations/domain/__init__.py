"""The integrations service's rules: a sync run's states and what makes an import new."""
