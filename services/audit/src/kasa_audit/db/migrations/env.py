from kasa_servicekit.migrations import run_env

from kasa_audit.db.tables import metadata

run_env(metadata)
