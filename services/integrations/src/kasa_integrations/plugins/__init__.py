"""The registered plugins: add a new one to ``PLUGINS``."""

from kasa_integrations.plugins.base import Plugin
from kasa_integrations.plugins.demo import DemoBank

PLUGINS: dict[str, Plugin] = {plugin.name: plugin for plugin in [DemoBank()]}
