"""Live push: the events pushed to WebSocket clients, the hub that fans them out per workspace,
and keeping the tokens that sockets carry in their URLs out of the logs."""
