from kasa_ledger.db.tables import metadata
from kasa_servicekit.idempotency import idempotency_metadata
from kasa_servicekit.migrations import run_env

run_env(metadata, idempotency_metadata)
