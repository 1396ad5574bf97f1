"""Audit's rules, free of I/O: the hash chain and its walk, how an event becomes an entry,
and what a published chain anchor proves."""
