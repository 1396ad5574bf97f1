"""Reading the trail for the export: every page, in order, until the last."""

from uuid import uuid4

from kasa_audit.app.audit_events import batches
from kasa_audit.db.entries import AuditFilters


class FakeEntries:
    def __init__(self, pages):
        self.pages = pages
        self.asked = []

    async def page(self, workspace_id, filters, limit, cursor):
        self.asked.append((cursor, limit))
        index = 0 if cursor is None else int(cursor)
        following = str(index + 1) if index + 1 < len(self.pages) else None
        return self.pages[index], following


async def test_the_export_reads_every_batch_following_the_cursor():
    entries = FakeEntries([["a", "b"], ["c"], ["d"]])
    got = [rows async for rows in batches(entries, uuid4(), AuditFilters(), size=2)]
    assert got == [["a", "b"], ["c"], ["d"]]
    assert entries.asked == [(None, 2), ("1", 2), ("2", 2)]


async def test_an_empty_trail_still_yields_one_empty_batch():
    # The CSV export writes its header with the first batch, even when nothing matches.
    got = [rows async for rows in batches(FakeEntries([[]]), uuid4(), AuditFilters())]
    assert got == [[]]
