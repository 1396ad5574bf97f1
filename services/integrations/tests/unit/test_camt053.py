"""camt.053 statements keep the plugin contract."""

from pathlib import Path

import pytest

from kasa_integrations.plugins.camt053 import Camt053Statement
from kasa_integrations.plugins.testing import check_plugin

STATEMENTS = Path(__file__).parent / "statements"


@pytest.mark.parametrize("name", ["camt053_v02.xml", "camt053_v08.xml"])
async def test_camt053_keeps_the_plugin_contract(name):
    await check_plugin(Camt053Statement(), upload=(STATEMENTS / name).read_bytes())
