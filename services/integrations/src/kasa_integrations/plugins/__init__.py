"""The registered plugins. A new plugin is one module here and one line in ``registry``.

The service builds the registry once, in its composition root, with the operator's settings;
routes, the sync worker and the recovery sweep all use that one instance.
"""

from kasa_integrations.plugins.base import Plugin
from kasa_integrations.plugins.camt053 import Camt053Statement
from kasa_integrations.plugins.demo import MAX_COUNT, DemoBank
from kasa_integrations.plugins.fio import DEFAULT_BASE_URL, FioBank


def registry(
    fio_api_base_url: str = DEFAULT_BASE_URL,
    *,
    demo: bool = True,
    demo_max_count: int = MAX_COUNT,
) -> dict[str, Plugin]:
    """Every plugin this service runs, by name; operator settings are passed in here.

    ``demo`` False leaves the demo bank out: it is not listed and cannot be run.
    """
    plugins: list[Plugin] = [
        *([DemoBank(max_count=demo_max_count)] if demo else []),
        FioBank(base_url=fio_api_base_url),
        Camt053Statement(),
    ]
    return {plugin.name: plugin for plugin in plugins}
