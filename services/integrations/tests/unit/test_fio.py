"""The Fio plugin against a local server speaking Fio's JSON format, outside the platform."""

from datetime import date, timedelta

import pytest

from kasa_integrations.plugins.fio import FioBank
from kasa_integrations.plugins.testing import check_plugin

TODAY = date.today()


def days_ago(n: int) -> str:
    return (TODAY - timedelta(days=n)).isoformat()


@pytest.fixture
def bank(fake_fio, fio_record):
    fake_fio.records = [
        fio_record(
            1001,
            days_ago(20),
            "25000.50",
            column2="2900123456",
            column3="2010",
            column4="0308",
            column5="20260001",
            column6=None,
            column7="Faktura 20260001",
            column8="Bezhotovostní příjem",
            column10="Acme s.r.o.",
            column16="Platba faktury 20260001",
            column25="komentář",
            column26="FIOBCZPPXXX",
            column27="E2E-1",
        ),
        fio_record(1002, days_ago(10), "-1234.9", column10="Alza.cz a.s.", column5="ABC"),
        fio_record(1003, days_ago(200), "-10", column10="too old for a first sync"),
    ]
    return fake_fio


async def test_fio_keeps_the_plugin_contract(bank, canary):
    await check_plugin(
        FioBank(base_url=bank.url), credentials={"token": canary}, settings={"initial_days": 90}
    )
