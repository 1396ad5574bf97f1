from datetime import date, timedelta
from uuid import UUID

import pytest
from sqlalchemy import MetaData, select
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from kasa_servicekit.ids import new_id
from kasa_servicekit.pagination import keyset_page
from kasa_servicekit.problems import ProblemError


class Base(DeclarativeBase):
    metadata = MetaData()


class Row(Base):
    __tablename__ = "rows"
    id: Mapped[UUID] = mapped_column(primary_key=True)
    day: Mapped[date]


async def test_pages_cover_every_row_once_in_order(db):
    async with db.engine.begin() as conn:
        await conn.run_sync(Base.metadata.create_all)
    rows = [Row(id=new_id(), day=date(2026, 1, 1) + timedelta(days=i % 7)) for i in range(23)]
    async with db.transaction() as session:
        session.add_all(rows)
    seen, cursor = [], None
    for _ in range(10):
        async with db.sessions() as session:
            page, cursor = await keyset_page(
                session, select(Row), [Row.day, Row.id], limit=5, cursor=cursor
            )
        seen += [(r.day, r.id) for r in page]
        if cursor is None:
            break
    assert len(seen) == 23
    assert seen == sorted(((r.day, r.id) for r in rows), reverse=True)


async def test_a_tampered_cursor_is_a_400(db):
    async with db.sessions() as session:
        with pytest.raises(ProblemError) as caught:
            await keyset_page(session, select(Row), [Row.day, Row.id], limit=5, cursor="bm9wZQ")
    assert caught.value.status == 400
