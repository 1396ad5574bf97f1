"""Audit's tables and migrations, and the reads and writes of the trail, the chain heads,
the anchors and the archive."""
