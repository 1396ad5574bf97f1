from kasa_servicekit.migrations import run_env

from kasa_integrations.db.tables import metadata

run_env(metadata)
