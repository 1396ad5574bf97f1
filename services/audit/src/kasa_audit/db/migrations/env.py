from kasa_audit.db.tables import metadata
from kasa_servicekit.leases import lease_metadata
from kasa_servicekit.migrations import run_env

run_env(metadata, lease_metadata)
