"""The gateway's tables, their migrations, and the identity store the use cases work through."""
