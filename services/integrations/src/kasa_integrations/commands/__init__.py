"""The service's own subcommands, next to the kit's ``serve`` and ``migrate``."""
