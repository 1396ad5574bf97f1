"""The gateway's own subcommands, next to serve and migrate."""
