"""One module per inbound event: each hands its event to the use case it drives."""
